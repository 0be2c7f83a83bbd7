import { expect } from 'chai';
import { chiSquareSurvival, chiSquareUpperQuantile } from '../../lib/phases/chisq.js';
import { mad, MAD_TO_SD, median, noiseScale, pooledResidualScale, robustStandardize } from '../../lib/phases/standardize.js';
import { Rng } from '../../lib/util/rng.js';

describe('phases/standardize', () => {
  it('median and MAD of hand-made values', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(Number.isNaN(median([]))).to.equal(true);
    // |x − 3| for 1, 2, 3, 4, 100 → 2, 1, 0, 1, 97 → median 1
    expect(mad([1, 2, 3, 4, 100])).to.equal(1);
  });

  it('noise scale: MAD of first differences · 1.4826 / √2', () => {
    // differences 1, −1, 1, −1, 1 → median 1, |d − 1| = 0, 2, 0, 2, 0 → MAD 0, so the standard
    // deviation of the differences is used: mean 0.2, Σ(d − 0.2)² = 3·0.64 + 2·1.44 = 4.8, sd = √(4.8/4)
    expect(noiseScale([0, 1, 0, 1, 0, 1])).to.be.closeTo(Math.sqrt(1.2) / Math.SQRT2, 1e-12);
    // differences 1, 2, 4, 2, 1 → median 2, |d − 2| = 1, 0, 2, 0, 1 → MAD 1
    expect(noiseScale([0, 1, 3, 7, 9, 10])).to.be.closeTo(MAD_TO_SD / Math.SQRT2, 1e-12);
    expect(noiseScale([5, 5, 5, 5])).to.equal(0);
  });

  it('a mean shift does not inflate the noise scale; a steady trend neither', () => {
    const rng = new Rng(2);
    const noise = Array.from({ length: 200 }, () => rng.normal());
    const shifted = noise.map((v, t) => v + (t >= 100 ? 50 : 0));
    const trend = noise.map((v, t) => v + 0.5 * t);
    expect(noiseScale(noise)).to.be.within(0.8, 1.2);
    expect(noiseScale(shifted) / noiseScale(noise)).to.be.within(0.95, 1.05);
    expect(noiseScale(trend)).to.be.within(0.8, 1.2);
  });

  it('robustStandardize centres on the median, scales by the noise and drops constant columns', () => {
    const series = [[1, 7, 10], [3, 7, 30], [2, 7, 20], [4, 7, 40], [5, 7, 50]];
    const r = robustStandardize(series);
    expect(r.kept).to.deep.equal([0, 2]);
    expect(r.dropped).to.deep.equal([{ column: 1, reason: 'constant over all checkpoints' }]);
    expect(r.center).to.deep.equal([3, 30]);
    expect(r.scale[1] / r.scale[0]).to.be.closeTo(10, 1e-12);
    expect(r.values[0]).to.deep.equal([(1 - 3) / r.scale[0], (10 - 30) / r.scale[1]]);
  });

  it('pooled residual scale uses the segment means and n − #segments degrees of freedom', () => {
    // segments [1, 3] and [10, 12, 14]: residuals −1, 1 and −2, 0, 2 → SS = 10, dof = 5 − 2
    expect(pooledResidualScale([[1, 3, 10, 12, 14]], [2])[0]).to.be.closeTo(Math.sqrt(10 / 3), 1e-12);
  });
});

describe('phases/chisq', () => {
  it('matches printed χ² tables', () => {
    // Upper quantiles from standard tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
    expect(chiSquareUpperQuantile(0.05, 1)).to.be.closeTo(3.841, 1e-3);
    expect(chiSquareUpperQuantile(0.01, 10)).to.be.closeTo(23.209, 1e-3);
    expect(chiSquareUpperQuantile(0.001, 20)).to.be.closeTo(45.315, 1e-3);
    expect(chiSquareUpperQuantile(0.1, 5)).to.be.closeTo(9.236, 1e-3);
    // χ²_2 is exponential with mean 2: P(χ²_2 ≥ x) = e^(−x/2).
    expect(chiSquareSurvival(3, 2)).to.be.closeTo(Math.exp(-1.5), 1e-12);
    expect(chiSquareSurvival(40, 2)).to.be.closeTo(Math.exp(-20), 1e-18);
    expect(chiSquareSurvival(0, 3)).to.equal(1);
  });
});
