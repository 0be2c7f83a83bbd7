/**
 * Training speed: the embedding lookup's forward + backward three ways, and whole training steps
 * of the default model with each embedding mode.
 *
 * Embedding with a gradient on wasm (tfjs-backend-wasm 4.22 has no UnsortedSegmentSum, the
 * kernel of gather's gradient):
 * - gatherND + scatterND (lib/model/ops.ts gatherRows, the port's 'gather' mode);
 * - tf.gather with the UnsortedSegmentSum kernel that lib/train/kernels.ts registers;
 * - one-hot matmul: one_hot(tokens) · W_E (the port's 'onehot' mode).
 *
 * Run: npm run bench -- train
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/model/backend.js';
import { gatherRows, linear } from '../lib/model/ops.js';
import { resolveTrainConfig } from '../lib/train/config.js';
import { ensureWasmSegmentSumKernel } from '../lib/train/kernels.js';
import { createTrainableModelFactory } from '../lib/train/model.js';
import { Trainer } from '../lib/train/trainer.js';

/** Median of `reps` timings (ms) of f, after one warm-up call. */
function timeMs(f: () => void, reps: number): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function embeddingGradMs(how: 'gatherND' | 'gather' | 'onehot', vocab: number, d: number, tokens: number, reps: number): number {
  const table = tf.variable(tf.randomNormal([vocab, d], 0, 0.1, 'float32', 1)) as tf.Variable<tf.Rank.R2>;
  const ids = tf.tensor1d(Array.from({ length: tokens }, (_, i) => (i * 7919) % vocab), 'int32');
  const upstream = tf.randomNormal([tokens, d], 0, 1, 'float32', 2);
  const lookup = (): tf.Tensor => {
    if (how === 'gatherND') return gatherRows(table, ids);
    if (how === 'gather') return tf.gather(table, ids);
    return linear(tf.oneHot(ids, vocab).toFloat() as tf.Tensor2D, table);
  };
  const ms = timeMs(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(lookup(), upstream)) as tf.Scalar, [table]);
    grads[table.name].dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  }, reps);
  tf.dispose([table, ids, upstream]);
  return ms;
}

/** Median ms per update of the default model for each embedding mode, measured interleaved (fair under changing load). */
function trainStepMs(modes: Array<'gather' | 'onehot'>, reps: number): number[] {
  const trainers = modes.map((embedding) => {
    const config = resolveTrainConfig({ embedding });
    return new Trainer(config, createTrainableModelFactory(embedding).factory);
  });
  trainers.forEach((t) => t.update());
  const times: number[][] = modes.map(() => []);
  for (let r = 0; r < reps; r++) {
    trainers.forEach((t, i) => {
      const start = performance.now();
      t.update();
      times[i].push(performance.now() - start);
    });
  }
  trainers.forEach((t) => t.dispose());
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]);
}

export async function run(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const registered = ensureWasmSegmentSumKernel();
  process.stdout.write(`backend ${backend}; UnsortedSegmentSum kernel for wasm registered: ${registered}\n\n`);

  const shapes: Array<[number, number, number]> = [
    [64, 64, 512], // the default tiny model: vocab 64, d 64, batch 16 × 32 tokens
    [512, 128, 2048],
    [4096, 256, 2048],
  ];
  process.stdout.write('embedding forward + backward (ms, median)\n');
  process.stdout.write('| vocab | d_model | tokens | gatherND + scatterND | gather + UnsortedSegmentSum | one-hot matmul |\n|---|---|---|---|---|---|\n');
  for (const [v, d, n] of shapes) {
    const reps = v > 1000 ? 5 : 20;
    const row = [
      embeddingGradMs('gatherND', v, d, n, reps),
      tf.getKernel('UnsortedSegmentSum', backend) ? embeddingGradMs('gather', v, d, n, reps) : NaN,
      embeddingGradMs('onehot', v, d, n, reps),
    ];
    process.stdout.write(`| ${v} | ${d} | ${n} | ${row.map((x) => (Number.isNaN(x) ? 'n/a' : x.toFixed(2))).join(' | ')} |\n`);
  }

  const modes = ['gather', 'onehot'] as const;
  const steps = trainStepMs([...modes], 30);
  process.stdout.write('\nwhole training step of the default model (ms, median of 30, interleaved)\n| embedding | ms/step |\n|---|---|\n');
  modes.forEach((e, i) => process.stdout.write(`| ${e} | ${steps[i].toFixed(1)} |\n`));
}
