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
 * Environment: CNTLENS_BENCH_REPEATS (fast-sweep repeats, default 3), CNTLENS_BENCH_NAIVE=0 to
 * skip the naive sweep.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/model/backend.js';
import { parseConfig } from '../lib/model/config.js';
import { NeoXModel } from '../lib/model/neox.js';
import type { NeoXParams } from '../lib/model/params.js';
import type { NeoXConfig } from '../lib/model/types.js';
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

/** Random parameters in math layout with the fixtures' scales (seeded through TF.js). */
export function randomParams(config: NeoXConfig, seed: number): NeoXParams {
  const { hiddenSize: d, intermediateSize: m, vocabSize: V } = config;
  let s = seed;
  const normal = (shape: number[], std: number, mean = 0): tf.Tensor => tf.randomNormal(shape, mean, std, 'float32', s++);
  return {
    W_E: normal([V, d], 1) as tf.Tensor2D,
    blocks: Array.from({ length: config.numLayers }, () => ({
      ln1: { w: normal([d], 0.2, 1) as tf.Tensor1D, b: normal([d], 0.2) as tf.Tensor1D },
      W_QKV: normal([d, 3 * d], 1.5 / Math.sqrt(d)) as tf.Tensor2D,
      b_QKV: normal([3 * d], 0.1) as tf.Tensor1D,
      W_O: normal([d, d], 1 / Math.sqrt(d)) as tf.Tensor2D,
      b_O: normal([d], 0.1) as tf.Tensor1D,
      ln2: { w: normal([d], 0.2, 1) as tf.Tensor1D, b: normal([d], 0.2) as tf.Tensor1D },
      W_in: normal([d, m], 1 / Math.sqrt(d)) as tf.Tensor2D,
      b_in: normal([m], 0.1) as tf.Tensor1D,
      W_out: normal([m, d], 1 / Math.sqrt(m)) as tf.Tensor2D,
      b_out: normal([d], 0.1) as tf.Tensor1D,
    })),
    ln_final: { w: normal([d], 0.2, 1) as tf.Tensor1D, b: normal([d], 0.2) as tf.Tensor1D },
    W_U: normal([d, V], 1 / Math.sqrt(d)) as tf.Tensor2D,
  };
}

export const BENCH_OPTIONS: InfluenceOptions = { ablation: 'zero', measure: 'cosine', positions: '51:101', lossPositions: '50:100' };

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, (performance.now() - t0) / 1000];
}

export async function run(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const config = parseConfig(PYTHIA_14M_CONFIG, 'pythia-14m (random)');
  const model = new NeoXModel(config, randomParams(config, 14));
  const prompts = inductionPrompts({ nPrompts: 8, halfLen: 50, seed: 0 }, config.vocabSize);
  const repeats = Number(process.env.CNTLENS_BENCH_REPEATS ?? 3);

  await influenceSweep(model, prompts.slice(0, 2), BENCH_OPTIONS); // warm-up (wasm compilation, kernels)
  const fastTimes: number[] = [];
  for (let i = 0; i < repeats; i++) fastTimes.push((await timed(() => influenceSweep(model, prompts, BENCH_OPTIONS)))[1]);
  const fast = Math.min(...fastTimes);
  let naive = NaN;
  if (process.env.CNTLENS_BENCH_NAIVE !== '0') naive = (await timed(() => naiveInfluenceSweep(model, prompts, BENCH_OPTIONS)))[1];

  const rows: [string, string, string, string][] = [
    ['sweep', 's / checkpoint', '× 143 checkpoints', 'vs naive'],
    ['fast (1 thread)', fast.toFixed(2), `${(fast * 143 / 60).toFixed(1)} min`, Number.isFinite(naive) ? `${(naive / fast).toFixed(1)}× faster` : '-'],
    ['naive', Number.isFinite(naive) ? naive.toFixed(2) : 'skipped', Number.isFinite(naive) ? `${(naive * 143 / 60).toFixed(1)} min` : '-', '1.0×'],
    ['PyTorch 1.13 naive (issue)', '13.0', `${(13 * 143 / 60).toFixed(1)} min`, ''],
    ['PyTorch 1.13 optimised (issue)', '5.0', `${(5 * 143 / 60).toFixed(1)} min`, ''],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(`backend ${backend}; Pythia-14M shape, 8 × 101 tokens, zero / cosine, positions 51:101, loss 50:100; fast runs: ${fastTimes.map((t) => t.toFixed(2)).join(', ')} s\n`);
  for (const r of rows) process.stdout.write(`${r.map((x, c) => x.padEnd(widths[c])).join('  ')}\n`);
  model.dispose();
}
