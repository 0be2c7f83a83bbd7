import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/model/backend.js';
import { UnembedLse } from '../../lib/ablation/unembed-kernel.js';
import { logitsLogSumExp, unembedGram } from '../../lib/ablation/unembed.js';
import { Rng } from '../../lib/util/rng.js';

/** log Σ_v exp(x·W[:, v]) in float64, written out plainly. */
function reference(x: Float32Array, W: Float32Array, n: number, d: number, V: number): number[] {
  return Array.from({ length: n }, (_, r) => {
    const logits = Array.from({ length: V }, (_, v) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[r * d + k] * W[k * V + v];
      return s;
    });
    const max = Math.max(...logits);
    return max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
  });
}

function normals(count: number, scale: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => scale * rng.normal());
}

describe('fused unembedding log-sum-exp', () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  for (const [d, V, n] of [[64, 97, 13], [16, 40, 5], [24, 8, 9], [8, 3, 4], [128, 2051, 7]]) {
    it(`matches float64 logits within 2e-6 (d ${d}, V ${V}, ${n} rows)`, () => {
      const W = normals(d * V, 1 / Math.sqrt(d), d + V);
      const x = normals(n * d, 2, n);
      const kernel = UnembedLse.create(W, d, V);
      expect(kernel).to.not.equal(null);
      const got = kernel!.logSumExp(x, n);
      reference(x, W, n, d, V).forEach((want, r) => expect(Math.abs(got[r] - want)).to.be.below(2e-6 * Math.max(1, Math.abs(want))));
    });
  }

  it('recomputes rows whose logits leave the shift window (huge and very negative logits)', () => {
    const d = 16, V = 33, n = 6;
    const W = normals(d * V, 1, 5);
    const x = normals(n * d, 1, 6);
    for (let k = 0; k < d; k++) { x[k] *= 60; x[d + k] *= -60; } // rows 0, 1: logits of several hundred
    const got = UnembedLse.create(W, d, V)!.logSumExp(x, n);
    reference(x, W, n, d, V).forEach((want, r) => expect(Math.abs(got[r] - want)).to.be.below(2e-6 * Math.max(1, Math.abs(want))));
    const shifted = UnembedLse.create(W, d, V)!.logSumExp(x, n, new Float32Array(n).fill(-500));
    reference(x, W, n, d, V).forEach((want, r) => expect(Math.abs(shifted[r] - want)).to.be.below(2e-6 * Math.max(1, Math.abs(want))));
  });

  it('agrees with the TF.js matMul path, and follows a variable to its new values', () => {
    const d = 32, V = 101;
    const W = tf.variable(tf.tensor2d(normals(d * V, 0.3, 1), [d, V]));
    const x = tf.tensor2d(normals(10 * d, 1, 2), [10, d]);
    const fused = logitsLogSumExp(x, W);
    const plain = logitsLogSumExp(x, W, 4, 'matmul');
    fused.forEach((v, i) => expect(v).to.be.closeTo(plain[i], 2e-6));
    W.assign(tf.mul(W, 2));
    const after = logitsLogSumExp(x, W);
    const want = reference(x.dataSync() as Float32Array, W.dataSync() as Float32Array, 10, d, V);
    after.forEach((v, i) => expect(v).to.be.closeTo(want[i], 2e-6));
    tf.dispose([W, x]);
  });

  it('forms the Gram matrix W_U W_Uᵀ', () => {
    const W = tf.tensor2d([[1, 2, 3], [0, -1, 4]]); // d = 2, V = 3
    const G = unembedGram(W);
    expect(G.arraySync()).to.deep.equal([[14, 10], [10, 17]]);
    tf.dispose([W, G]);
  });
});
