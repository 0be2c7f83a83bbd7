/**
 * Forward-pass throughput of the GPT-NeoX port on a random Pythia-14M-shaped model (hidden 128,
 * 6 layers, 4 heads, MLP 512, vocab 50304, rotary_pct 0.25, parallel residual), on the default
 * backend, at batch 8 × 101 and 50 × 48 tokens, with and without the unembedding.
 *
 * FLOPs counted (multiply-add = 2): the model's matrix products — per token and layer
 * 2·d·3d (QKV) + 2·d·d (W_O) + 2·2·d·d_mlp (MLP); per sequence and layer 2·2·H·p²·dh for the
 * full q kᵀ and pattern·v products (as computed, masked half included); 2·d·V per token for the
 * unembedding when asked. Implementation extras (the rotary rotate-half product) are not counted.
 * Times: after a warm-up pass, the median and best of several passes, both as wall-clock time and
 * as this process's CPU time (user + system, process.cpuUsage). The wasm backend computes on one
 * thread, so on a shared, overloaded machine the CPU time is the fairer measure of the work done;
 * throughput columns use the best CPU time.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/model/backend.js';
import { parseConfig } from '../lib/model/config.js';
import { initStateDict } from '../lib/model/init.js';
import { NeoXModel } from '../lib/model/neox.js';
import type { NeoXRunOptions } from '../lib/model/neox.js';
import type { NeoXConfig } from '../lib/model/types.js';
import { Rng } from '../lib/util/rng.js';

const PYTHIA_14M_SHAPE = {
  vocab_size: 50304,
  hidden_size: 128,
  num_hidden_layers: 6,
  num_attention_heads: 4,
  intermediate_size: 512,
  rotary_pct: 0.25,
  max_position_embeddings: 2048,
  use_parallel_residual: true,
};

function forwardFlops(c: NeoXConfig, batch: number, seq: number, unembed: boolean): number {
  const { hiddenSize: d, intermediateSize: m, numHeads: H, headSize: dh, numLayers: L, vocabSize: V } = c;
  const tokens = batch * seq;
  const perTokenLayer = 2 * d * 3 * d + 2 * d * d + 2 * 2 * d * m;
  const attentionPerSeqLayer = 2 * 2 * H * seq * seq * dh;
  return L * (tokens * perTokenLayer + batch * attentionPerSeqLayer) + (unembed ? tokens * 2 * d * V : 0);
}

interface Timing {
  wallMedian: number;
  wallBest: number;
  cpuMedian: number;
  cpuBest: number;
}

function timePasses(run: () => void, passes: number): Timing {
  run(); // warm-up: operator caches, lazily grown wasm memory
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < passes; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wallMedian: median(wall), wallBest: Math.min(...wall), cpuMedian: median(cpu), cpuBest: Math.min(...cpu) };
}

export async function run(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const config = parseConfig(PYTHIA_14M_SHAPE, 'Pythia-14M shape');
  const model = NeoXModel.fromStateDict(config, initStateDict(config, { seed: 1 }));
  const rng = new Rng(7);
  const rows: string[][] = [];
  const cases: { batch: number; seq: number; unembed: boolean; attention: NeoXRunOptions['attention']; passes: number }[] = [
    { batch: 8, seq: 101, unembed: false, attention: 'auto', passes: 7 },
    { batch: 50, seq: 48, unembed: false, attention: 'auto', passes: 7 },
    { batch: 8, seq: 101, unembed: true, attention: 'auto', passes: 3 },
    { batch: 50, seq: 48, unembed: true, attention: 'auto', passes: 3 },
    { batch: 50, seq: 48, unembed: false, attention: 'matmul', passes: 3 },
  ];
  for (const c of cases) {
    const tokens = Array.from({ length: c.batch }, () => Array.from({ length: c.seq }, () => rng.int(0, config.vocabSize)));
    // Without the unembedding the pass still runs every layer and the final LayerNorm.
    const options: NeoXRunOptions = c.unembed ? { logits: 'all', attention: c.attention } : { logits: 'none', capture: ['ln_final.hook_normalized'], attention: c.attention };
    const pass = (): void => {
      const r = model.run(tokens, options);
      const out = r.logits ?? r.cache.get('ln_final.hook_normalized')!;
      out.dataSync();
      r.logits?.dispose();
      for (const t of r.cache.values()) t.dispose();
    };
    const t = timePasses(pass, c.passes);
    const flops = forwardFlops(config, c.batch, c.seq, c.unembed);
    const tokenCount = c.batch * c.seq;
    rows.push([
      `${c.batch} × ${c.seq}`,
      c.unembed ? 'with' : 'without',
      c.attention!,
      t.wallMedian.toFixed(0),
      t.wallBest.toFixed(0),
      t.cpuMedian.toFixed(0),
      t.cpuBest.toFixed(0),
      ((tokenCount / t.cpuBest) * 1000).toFixed(0),
      (flops / 1e9).toFixed(2),
      (flops / t.cpuBest / 1e6).toFixed(1),
    ]);
  }
  model.dispose();

  const header = ['tokens', 'unembedding', 'attention', 'wall median ms', 'wall best ms', 'CPU median ms', 'CPU best ms', 'tokens/s', 'GFLOP', 'GFLOP/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`Pythia-14M-shaped random model, backend ${backend}${backend === 'wasm' ? ' (attention auto = conv)' : ''}, tf.memory().numTensors ${tf.memory().numTensors}\n`);
  process.stdout.write(line(header) + '\n' + rows.map(line).join('\n') + '\n');
  process.stdout.write('Reference (from the brief): plain wasm forward of 50 × 48 without unembedding ≈ 700 ms; PyTorch, 1 thread ≈ 170 ms.\n');
}
