import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { initBackend } from '../../lib/model/backend.js';
import { ensureWasmSegmentSumKernel, unsortedSegmentSumHost } from '../../lib/train/kernels.js';

before(async () => {
  await initBackend({ quiet: true });
});

describe('train/kernels UnsortedSegmentSum', () => {
  it('host segment sum adds rows into their segments and drops out-of-range ids', () => {
    // x: 4 rows of 2; ids 2, 0, 2, 5 (5 is outside 3 segments).
    const { values, shape } = unsortedSegmentSumHost([1, 2, 3, 4, 5, 6, 7, 8], [4, 2], [2, 0, 2, 5], 1, 3, 'float32');
    expect(shape).to.deep.equal([3, 2]);
    expect([...values]).to.deep.equal([3, 4, 0, 0, 6, 8]);
  });

  it('makes tf.gather differentiable on the backend in use (the embedding gradient)', function () {
    if (tf.getBackend() !== 'wasm') this.skip();
    expect(ensureWasmSegmentSumKernel()).to.equal(true);
    expect(ensureWasmSegmentSumKernel()).to.equal(true); // idempotent
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const ids = tf.tensor1d([3, 1, 3, 0], 'int32');
    const weights = tf.tensor2d([[1, 10], [2, 20], [3, 30], [4, 40]]);
    // d/dtable Σ gather(table, ids) ⊙ weights: row r gets the sum of weights at positions with id r.
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)))(table);
    expect(grad.shape).to.deep.equal([4, 2]);
    expect([...grad.dataSync()]).to.deep.equal([4, 40, 2, 20, 0, 0, 4, 40]);
    tf.dispose([table, ids, weights, grad]);
  });
});
