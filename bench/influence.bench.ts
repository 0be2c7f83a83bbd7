/**
 * Influence sweep of one random Pythia-14M-shaped checkpoint (6 layers × 4 heads, d 128,
 * d_mlp 512, vocab 50304; weights as the fixtures draw them): 8 induction prompts × 101 tokens,
 * zero ablation, cosine, measured positions 51:101, loss positions 50:100. Seconds per
 * checkpoint and projected for Pythia's 143 checkpoints, for the fast sweep
 * (lib/ablation/sweep.ts) and the naive one (a full forward pass with full logits per
 * ablation), and their ratio.
 *
 * Reference points from the issue, same machine class and settings, PyTorch 1.13 eager on the
 * CPU: naive ≈ 13 s per checkpoint (11.5 s with 2 threads); optimised ≈ 5.0 s (3.7 s with 2).
 *
 * Environment: CNTLENS_BENCH_REPEATS (fast-sweep repeats, best kept, default 2), CNTLENS_BENCH_NAIVE=0 to
 * skip the naive sweep.
 */
import { availableParallelism, loadavg } from 'node:os';
import { initBackend } from '../lib/model/backend.js';
import { parseConfig } from '../lib/model/config.js';
import { NeoXModel } from '../lib/model/neox.js';
import type { NeoXConfig, StateDict } from '../lib/model/types.js';
import { Rng } from '../lib/util/rng.js';
import { influenceSweep } from '../lib/ablation/sweep.js';
import { naiveInfluenceSweep } from '../lib/ablation/naive.js';
import { inductionPrompts } from '../lib/ablation/tasks.js';
import type { InfluenceOptions } from '../lib/ablation/plan.js';

export const PYTHIA_14M_CONFIG = {
  architectures: ['GPTNeoXForCausalLM'],
  model_type: 'gpt_neox',
  vocab_size: 50304,
  hidden_size: 128,
  num_hidden_layers: 6,
  num_attention_heads: 4,
  intermediate_size: 512,
  rotary_pct: 0.25,
  rotary_emb_base: 10000,
  max_position_embeddings: 2048,
  layer_norm_eps: 1e-5,
  use_parallel_residual: true,
  hidden_act: 'gelu',
  tie_word_embeddings: false,
};

/**
 * A random Hugging Face state dict with the fixtures' scales (test/fixtures/README.md): embed_in
 * N(0,1); LayerNorm weights 1+0.2·N(0,1), biases 0.2·N(0,1); query_key_value N(0,(1.5/√d)²);
 * dense and dense_h_to_4h N(0,1/d); dense_4h_to_h N(0,1/d_mlp); linear biases 0.1·N(0,1);
 * embed_out N(0,1/d). Seeded (lib/util/rng.ts).
 */
export function randomStateDict(config: NeoXConfig, seed: number): StateDict {
  const { hiddenSize: d, intermediateSize: m, vocabSize: V } = config;
  const rng = new Rng(seed);
  const sd: StateDict = new Map();
  const put = (name: string, shape: number[], std: number, mean = 0): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
    sd.set(name, { shape, data });
  };
  put('gpt_neox.embed_in.weight', [V, d], 1);
  for (let l = 0; l < config.numLayers; l++) {
    const p = `gpt_neox.layers.${l}`;
    put(`${p}.input_layernorm.weight`, [d], 0.2, 1);
    put(`${p}.input_layernorm.bias`, [d], 0.2);
    put(`${p}.post_attention_layernorm.weight`, [d], 0.2, 1);
    put(`${p}.post_attention_layernorm.bias`, [d], 0.2);
    put(`${p}.attention.query_key_value.weight`, [3 * d, d], 1.5 / Math.sqrt(d));
    put(`${p}.attention.query_key_value.bias`, [3 * d], 0.1);
    put(`${p}.attention.dense.weight`, [d, d], 1 / Math.sqrt(d));
    put(`${p}.attention.dense.bias`, [d], 0.1);
    put(`${p}.mlp.dense_h_to_4h.weight`, [m, d], 1 / Math.sqrt(d));
    put(`${p}.mlp.dense_h_to_4h.bias`, [m], 0.1);
    put(`${p}.mlp.dense_4h_to_h.weight`, [d, m], 1 / Math.sqrt(m));
    put(`${p}.mlp.dense_4h_to_h.bias`, [d], 0.1);
  }
  put('gpt_neox.final_layer_norm.weight', [d], 0.2, 1);
  put('gpt_neox.final_layer_norm.bias', [d], 0.2);
  put('embed_out.weight', [V, d], 1 / Math.sqrt(d));
  return sd;
}

export const BENCH_OPTIONS: InfluenceOptions = { ablation: 'zero', measure: 'cosine', positions: '51:101', lossPositions: '50:100' };

/** Wall-clock and CPU seconds (all threads of the process) of one call. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

export async function run(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const config = parseConfig(PYTHIA_14M_CONFIG, 'pythia-14m (random)');
  const model = NeoXModel.fromStateDict(config, randomStateDict(config, 14));
  const prompts = inductionPrompts({ nPrompts: 8, halfLen: 50, seed: 0 }, config.vocabSize);
  const repeats = Math.max(1, Number(process.env.CNTLENS_BENCH_REPEATS ?? 2));

  await influenceSweep(model, prompts.slice(0, 2), BENCH_OPTIONS); // warm-up (wasm compilation, kernels)
  const best = (runs: { wall: number; cpu: number }[]): { wall: number; cpu: number } => runs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const fastRuns = [];
  for (let i = 0; i < repeats; i++) fastRuns.push(await timed(() => influenceSweep(model, prompts, BENCH_OPTIONS)));
  const fast = best(fastRuns);
  const parallelRuns = [];
  for (let i = 0; i < repeats; i++) parallelRuns.push(await timed(() => influenceSweep(model, prompts, { ...BENCH_OPTIONS, workers: 2 })));
  const parallel = best(parallelRuns);
  const naive = process.env.CNTLENS_BENCH_NAIVE === '0' ? null : await timed(() => naiveInfluenceSweep(model, prompts, BENCH_OPTIONS));

  const line = (name: string, t: { wall: number; cpu: number } | null): string[] => t === null
    ? [name, 'skipped', '-', '-', '-']
    : [name, t.wall.toFixed(2), t.cpu.toFixed(2), `${(t.wall * 143 / 60).toFixed(1)} min`, naive ? `${(naive.wall / t.wall).toFixed(1)}×` : '-'];
  const rows: string[][] = [
    ['sweep', 'wall s / ckpt', 'CPU s', 'wall × 143', 'speed-up vs naive'],
    line('fast, 1 thread', fast),
    line('fast, 2 worker threads', parallel),
    line('naive (full pass + full logits per ablation)', naive),
    ['PyTorch 1.13 naive, 1 / 2 threads (issue)', '13.0 / 11.5', '', `${(13 * 143 / 60).toFixed(1)} min`, ''],
    ['PyTorch 1.13 optimised, 1 / 2 threads (issue)', '5.0 / 3.7', '', `${(5 * 143 / 60).toFixed(1)} min`, ''],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const load = loadavg()[0].toFixed(1);
  process.stdout.write(`backend ${backend}; Pythia-14M shape, 8 × 101 tokens, zero / cosine, positions 51:101, loss 50:100; load average ${load} on ${availableParallelism()} cores\n`);
  process.stdout.write(`fast runs (wall s): ${fastRuns.map((t) => t.wall.toFixed(2)).join(', ')}; 2 workers: ${parallelRuns.map((t) => t.wall.toFixed(2)).join(', ')}\n`);
  for (const r of rows) process.stdout.write(`${r.map((x, c) => x.padEnd(widths[c])).join('  ')}\n`);
  process.stdout.write('CPU s = CPU time of all threads; on a busy machine it is the better guide to the single-thread speed.\n');
  model.dispose();
}
