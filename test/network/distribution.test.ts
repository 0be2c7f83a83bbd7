/** Edge-weight distribution statistics on samples with known answers. */
import { expect } from 'chai';
import { graphFromEdgeList } from '../../lib/network/edge-list-graph.js';
import { entropy } from '../../lib/network/entropy.js';
import { gini } from '../../lib/network/gini.js';
import { fitPowerLawTail } from '../../lib/network/power-law.js';
import { skewness } from '../../lib/network/skewness.js';
import { topShare } from '../../lib/network/top-share.js';
import { weightDistribution } from '../../lib/network/weight-distribution.js';
import { OptionError } from '../../lib/util/errors.js';
import { Rng } from '../../lib/util/rng.js';

/** n draws of a continuous Pareto with density ∝ x^(−alpha) on [xmin, ∞), by inversion. */
function paretoSample(rng: Rng, n: number, alpha: number, xmin: number): number[] {
  return Array.from({ length: n }, () => xmin * Math.pow(1 - rng.uniform(), -1 / (alpha - 1)));
}

describe('network: weight distribution statistics', () => {
  it('Gini: 0 for equal weights, (n−1)/n for one non-zero weight, 1/4 for 1..4', () => {
    expect(gini([3, 3, 3, 3, 3])).to.equal(0);
    for (const n of [2, 5, 10]) {
      const one = Array.from({ length: n }, (_, i) => (i === 2 % n ? 7 : 0));
      expect(gini(one), `n=${n}`).to.be.closeTo((n - 1) / n, 1e-15);
    }
    // Σ|x_i − x_j| over ordered pairs = 20; 2 n² mean = 2·16·2.5 = 80.
    expect(gini([4, 1, 3, 2])).to.be.closeTo(0.25, 1e-15);
    expect(gini([])).to.equal(null);
    expect(gini([0, 0])).to.equal(null);
  });

  it('entropy (nats): ln n for equal weights, 0 for one, 1.5 ln 2 for (1, 1, 2)', () => {
    expect(entropy([2, 2, 2, 2])).to.be.closeTo(Math.log(4), 1e-15);
    expect(entropy([0, 5, 0])).to.equal(0);
    expect(entropy([1, 1, 2])).to.be.closeTo(1.5 * Math.LN2, 1e-15);
    expect(entropy([])).to.equal(null);
  });

  it('skewness (biased g1): 0 when symmetric, (1 − 2p)/√(p(1 − p)) for a Bernoulli sample', () => {
    expect(skewness([1, 2, 3])).to.equal(0);
    expect(skewness([0, 0, 0, 1])).to.be.closeTo(0.5 / Math.sqrt(0.1875), 1e-14);
    expect(skewness([1, 0, 1, 1])).to.be.closeTo(-0.5 / Math.sqrt(0.1875), 1e-14);
    expect(skewness([2, 2])).to.equal(null);
  });

  it('top share: the ⌈10%⌉ heaviest edges over the total', () => {
    const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(topShare(oneToTen, 0.1)).to.be.closeTo(10 / 55, 1e-15);
    expect(topShare(Array(20).fill(1), 0.1)).to.be.closeTo(0.1, 1e-15);
    expect(topShare(Array(15).fill(1), 0.1)).to.be.closeTo(2 / 15, 1e-15); // ⌈1.5⌉ = 2
    expect(topShare([5], 0.1)).to.equal(1);
    expect(() => topShare([1], 0)).to.throw(OptionError);
  });

  it('power-law tail: the MLE and KS distance worked by hand on (1, e, e²)', () => {
    // Only x_min = 1 leaves 3 values: α = 1 + 3 / (0 + 1 + 2) = 2; P(x) = 1 − 1/x gives
    // 0, 1 − 1/e, 1 − 1/e² against steps 0→⅓→⅔→1: D = max(⅓, 1 − 1/e − ⅓, …) = ⅓.
    const { fit } = fitPowerLawTail([Math.E, 1, Math.E * Math.E], 3);
    expect(fit!.alpha).to.be.closeTo(2, 1e-14);
    expect(fit!.xmin).to.equal(1);
    expect(fit!.ks).to.be.closeTo(1 / 3, 1e-14);
    expect(fit!.tailSize).to.equal(3);
  });

  it('power-law tail: recovers α = 2.5 from a Pareto sample within 0.2', () => {
    const sample = paretoSample(new Rng(2024), 3000, 2.5, 1);
    const { fit } = fitPowerLawTail(sample, 10);
    expect(Math.abs(fit!.alpha - 2.5), `alpha ${fit!.alpha}`).to.be.below(0.2);
    expect(fit!.ks).to.be.below(0.05);
  });

  it('power-law tail: finds x_min where a Pareto tail (α = 3, from 1) starts above a uniform body', () => {
    const rng = new Rng(7);
    const body = Array.from({ length: 1500 }, () => 0.1 + 0.9 * rng.uniform());
    const tail = paretoSample(rng, 1500, 3, 1);
    const { fit } = fitPowerLawTail([...body, ...tail], 10);
    expect(fit!.xmin, `xmin ${fit!.xmin}`).to.be.within(0.85, 1.5);
    expect(Math.abs(fit!.alpha - 3), `alpha ${fit!.alpha}`).to.be.below(0.2);
  });

  it('power-law tail: null with a reason for too few or all-equal weights', () => {
    expect(fitPowerLawTail([1, 2, 3], 10).fit).to.equal(null);
    expect(fitPowerLawTail([1, 2, 3], 10).reason).to.match(/at least 10/);
    expect(fitPowerLawTail(Array(20).fill(0.5), 10).fit).to.equal(null);
  });

  it('weightDistribution reads the graph edge weights', () => {
    const weights = [1, 1, 1, 1];
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    const graph = graphFromEdgeList({ nodes, edges: weights.map((weight, i) => ({ source: 'a', target: nodes[i + 1], weight })) });
    const { values, reason } = weightDistribution(graph);
    expect(values.gini).to.equal(0);
    expect(values.entropy).to.be.closeTo(Math.log(4), 1e-15);
    expect(values.top10_share).to.equal(0.25);
    expect(values.tail_alpha).to.equal(null);
    expect(reason).to.match(/power-law/);
  });
});
