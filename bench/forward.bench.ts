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
 *
 * A second table compares, pass for pass (interleaved, so both see the same load), the port with
 * a plain TF.js formulation of the same model — fused QKV product and column slices, rotary by
 * slicing the head axis, batched matMul attention, tf.erf GELU, tf.gather embeddings, unfused
 * bias adds — the kind of forward the port started from.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/model/backend.js';
import { hfInit } from '../lib/model/init.js';
import { NeoXModel } from '../lib/model/neox.js';
import type { NeoXRunOptions } from '../lib/model/neox.js';
import type { NeoXParams } from '../lib/model/params.js';
import type { NeoXConfig } from '../lib/model/types.js';
import { Rng } from '../lib/util/rng.js';
import { randomPythia14m } from './pythia14m.js';


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

/** The plain formulation (see the header), without unembedding; returns ln_final(x) [b, p, d]. */
function plainForward(config: NeoXConfig, P: NeoXParams, W_QKV: tf.Tensor2D[], b_QKV: tf.Tensor1D[], tokens: number[][]): tf.Tensor {
  return tf.tidy(() => {
    const { hiddenSize: d, numHeads: H, headSize: dh, rotaryDims: r, layerNormEps: eps } = config;
    const [b, p] = [tokens.length, tokens[0].length];
    const N = b * p;
    const ln = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), w), bias);
    };
    const angles = tf.outerProduct(tf.range(0, p) as tf.Tensor1D, tf.div(1, tf.pow(config.rotaryEmbBase, tf.div(tf.range(0, r, 2), r))) as tf.Tensor1D);
    const cos = tf.cos(tf.concat([angles, angles], 1)); // [p, r]
    const sin = tf.sin(tf.concat([angles, angles], 1));
    const rotary = (x: tf.Tensor): tf.Tensor => { // [b, H, p, dh]
      const rot = tf.slice(x, [0, 0, 0, 0], [b, H, p, r]);
      const [x1, x2] = tf.split(rot, 2, 3);
      const rotated = tf.add(tf.mul(rot, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
      return tf.concat([rotated, tf.slice(x, [0, 0, 0, r], [b, H, p, dh - r])], 3);
    };
    const mask = tf.linalg.bandPart(tf.ones([p, p]), -1, 0);
    let x = tf.gather(P.W_E, tf.tensor1d(tokens.flat(), 'int32')).reshape([b, p, d]);
    P.blocks.forEach((blk, l) => {
      const h = ln(x, blk.ln1.w, blk.ln1.b).reshape([N, d]);
      const qkv = tf.add(tf.matMul(h, W_QKV[l]), b_QKV[l]);
      const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.transpose(t.reshape([b, p, H, dh]), [0, 2, 1, 3]));
      const scores = tf.mul(tf.matMul(rotary(q), rotary(k), false, true), 1 / Math.sqrt(dh));
      const pattern = tf.softmax(tf.where(tf.cast(mask, 'bool'), scores, tf.fill(scores.shape, -3.4e38)));
      const z = tf.transpose(tf.matMul(pattern, v), [0, 2, 1, 3]).reshape([N, d]);
      const attn = tf.add(tf.matMul(z, blk.W_O), blk.b_O);
      const pre = tf.add(tf.matMul(ln(x, blk.ln2.w, blk.ln2.b).reshape([N, d]), blk.W_in), blk.b_in);
      const post = tf.mul(tf.mul(pre, 0.5), tf.add(tf.erf(tf.mul(pre, Math.SQRT1_2)), 1));
      const mlp = tf.add(tf.matMul(post, blk.W_out), blk.b_out);
      x = tf.add(x, tf.add(attn, mlp).reshape([b, p, d]));
    });
    return ln(x, P.ln_final.w, P.ln_final.b);
  });
}

/** Port vs plain formulation, interleaved pass for pass; CPU ms per pass (best, median). */
function comparePlain(config: NeoXConfig, model: NeoXModel, tokens: number[][], passes: number): string[] {
  const W_QKV = model.params.blocks.map((blk) => tf.concat([blk.W_Q, blk.W_K, blk.W_V], 1) as tf.Tensor2D);
  const b_QKV = model.params.blocks.map((blk) => tf.concat([blk.b_Q, blk.b_K, blk.b_V]) as tf.Tensor1D);
  const options: NeoXRunOptions = { logits: 'none', capture: ['ln_final.hook_normalized'] };
  const port = (): tf.Tensor => model.run(tokens, options).cache.get('ln_final.hook_normalized')!;
  const plain = (): tf.Tensor => plainForward(config, model.params, W_QKV, b_QKV, tokens);
  const a = port();
  const b = plain();
  const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  tf.dispose([a, b]);
  const times = { port: [] as number[], plain: [] as number[] };
  for (let i = 0; i < passes; i++) {
    for (const [which, f] of [['port', port], ['plain', plain]] as const) {
      const c0 = process.cpuUsage();
      const out = f();
      out.dataSync();
      out.dispose();
      const c = process.cpuUsage(c0);
      times[which].push((c.user + c.system) / 1000);
    }
  }
  tf.dispose([...W_QKV, ...b_QKV]);
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const port_ = Math.min(...times.port.slice(1));
  const plain_ = Math.min(...times.plain.slice(1));
  return [
    `${tokens.length} × ${tokens[0].length}`,
    plain_.toFixed(0), med(times.plain.slice(1)).toFixed(0),
    port_.toFixed(0), med(times.port.slice(1)).toFixed(0),
    (plain_ / port_).toFixed(2), maxDiff.toExponential(1),
  ];
}

export async function run(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const model = randomPythia14m(1, hfInit());
  const config = model.config;
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
  const comparison = [
    comparePlain(config, model, Array.from({ length: 8 }, () => Array.from({ length: 101 }, () => rng.int(0, config.vocabSize))), 6),
    comparePlain(config, model, Array.from({ length: 50 }, () => Array.from({ length: 48 }, () => rng.int(0, config.vocabSize))), 6),
  ];
  model.dispose();

  const header = ['tokens', 'unembedding', 'attention', 'wall median ms', 'wall best ms', 'CPU median ms', 'CPU best ms', 'tokens/s', 'GFLOP', 'GFLOP/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`Pythia-14M-shaped random model, backend ${backend}${backend === 'wasm' ? ' (attention auto = conv)' : ''}, tf.memory().numTensors ${tf.memory().numTensors}\n`);
  process.stdout.write(line(header) + '\n' + rows.map(line).join('\n') + '\n');
  const header2 = ['tokens', 'plain CPU best ms', 'plain CPU median ms', 'port CPU best ms', 'port CPU median ms', 'speed-up (best)', 'max |diff|'];
  const widths2 = header2.map((h, i) => Math.max(h.length, ...comparison.map((r) => r[i].length)));
  const line2 = (cells: string[]): string => cells.map((c, i) => c.padStart(widths2[i])).join('  ');
  process.stdout.write('\nWithout unembedding, port vs plain TF.js formulation, interleaved passes:\n');
  process.stdout.write(line2(header2) + '\n' + comparison.map(line2).join('\n') + '\n');
  process.stdout.write('Reference (from the brief): plain wasm forward of 50 × 48 without unembedding ≈ 700 ms; PyTorch, 1 thread ≈ 170 ms.\n');
}
