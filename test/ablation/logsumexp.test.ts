import { expect } from 'chai';
import { rowLogSumExp, simdKernelAvailable } from '../../lib/ablation/logsumexp.js';
import { Rng } from '../../lib/util/rng.js';

/** log Σ exp in float64, written out plainly (independent of the code under test). */
function reference(row: Float32Array): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

function randomMatrix(rows: number, cols: number, scale: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * cols }, () => scale * rng.normal());
}

describe('row log-sum-exp kernel', () => {
  it('is compiled (WebAssembly SIMD) on this Node', () => {
    expect(simdKernelAvailable()).to.equal(true);
  });

  for (const cols of [1, 3, 4, 5, 97, 1000, 50304]) {
    it(`matches float64 log-sum-exp within 2e-6 relative for ${cols} columns (and the JS path)`, () => {
      const rows = cols > 10000 ? 3 : 17;
      const data = randomMatrix(rows, cols, 6, cols);
      const fast = rowLogSumExp(data, rows, cols);
      const js = rowLogSumExp(data, rows, cols, 'js');
      for (let r = 0; r < rows; r++) {
        const want = reference(data.subarray(r * cols, (r + 1) * cols));
        expect(Math.abs(fast[r] - want)).to.be.below(2e-6 * Math.max(1, Math.abs(want)));
        expect(Math.abs(js[r] - want)).to.be.below(1e-9 * Math.max(1, Math.abs(want)));
      }
    });
  }

  it('handles huge, tiny and infinite entries', () => {
    const cols = 9;
    const rows = [
      [1000, 999, -5, 0, 0, 0, 0, 0, 1], // large: no overflow
      [-1000, -1001, -2000, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30], // all tiny: no underflow to −∞
      [-Infinity, -Infinity, -Infinity, -Infinity, 2, -Infinity, -Infinity, -Infinity, -Infinity],
      [0, 0, 0, 0, 0, 0, 0, 0, 0],
    ];
    const data = Float32Array.from(rows.flat());
    const out = rowLogSumExp(data, rows.length, cols);
    expect(out[0]).to.be.closeTo(1000 + Math.log(1 + Math.exp(-1)), 1e-4);
    expect(out[1]).to.be.closeTo(-1000 + Math.log(1 + Math.exp(-1)), 1e-4);
    expect(out[2]).to.be.closeTo(2, 1e-6);
    expect(out[3]).to.be.closeTo(Math.log(9), 1e-6);
    const allMinusInf = rowLogSumExp(Float32Array.from([-Infinity, -Infinity, -Infinity, -Infinity]), 1, 4);
    expect(allMinusInf[0]).to.equal(-Infinity);
  });
});
