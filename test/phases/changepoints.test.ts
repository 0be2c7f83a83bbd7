import { expect } from 'chai';
import {
  binarySegmentation,
  defaultPenalty,
  detectChangePoints,

  optimalPartitioning,
  pelt,
} from '../../lib/phases/changepoints.js';
import { L2Cost } from '../../lib/phases/costs.js';
import { Rng } from '../../lib/util/rng.js';
import { linearSteps, noiseSeries, plantedSeries, pythiaSteps } from './synthetic.js';
import type { Planted } from './synthetic.js';

/** Residual sum of squares of rows [s, t), computed directly (no prefix sums). */
function directCost(data: number[][], s: number, t: number): number {
  let total = 0;
  for (let j = 0; j < data[0].length; j++) {
    let mean = 0;
    for (let r = s; r < t; r++) mean += data[r][j];
    mean /= t - s;
    for (let r = s; r < t; r++) total += (data[r][j] - mean) ** 2;
  }
  return total;
}

/** Exhaustive search over every admissible segmentation (small n only). */
function bruteForce(data: number[][], penalty: number, minSize: number): { boundaries: number[]; cost: number } {
  const n = data.length;
  let best = { boundaries: [] as number[], cost: Infinity };
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const boundaries: number[] = [];
    for (let b = 1; b < n; b++) if (mask & (1 << (b - 1))) boundaries.push(b);
    const edges = [0, ...boundaries, n];
    if (edges.some((e, i) => i > 0 && e - edges[i - 1] < minSize)) continue;
    let cost = penalty * boundaries.length;
    for (let i = 1; i < edges.length; i++) cost += directCost(data, edges[i - 1], edges[i]);
    if (cost < best.cost - 1e-9) best = { boundaries, cost };
  }
  return best;
}

function randomSteps(rng: Rng, n: number, d: number): number[][] {
  const levels = Array.from({ length: 4 }, () => Array.from({ length: d }, () => 3 * rng.normal()));
  const cut = [rng.int(1, n), rng.int(1, n)].sort((a, b) => a - b);
  return Array.from({ length: n }, (_, t) => {
    const seg = t < cut[0] ? 0 : t < cut[1] ? 1 : 2;
    return levels[seg].map((v) => v + rng.normal());
  });
}

describe('phases/changepoints: L2 cost and search', () => {
  it('L2Cost equals the residual sum of squares computed directly', () => {
    const rng = new Rng(3);
    const data = Array.from({ length: 17 }, () => [rng.normal() * 5, rng.normal() + 100, rng.normal() * 0.01]);
    const cost = new L2Cost(data);
    for (const [s, t] of [[0, 17], [0, 1], [3, 9], [16, 17], [5, 6], [2, 15]]) {
      expect(cost.cost(s, t)).to.be.closeTo(directCost(data, s, t), 1e-8);
    }
    expect(cost.mean(3, 5)[1]).to.be.closeTo((data[3][1] + data[4][1]) / 2, 1e-12);
  });

  it('finds an obvious step with any reasonable penalty', () => {
    const data = [0, 0.1, -0.1, 0, 10, 10.1, 9.9, 10].map((v) => [v]);
    expect(pelt(data, 1, 1)).to.deep.equal([4]);
    expect(binarySegmentation(data, 1, 1)).to.deep.equal([4]);
    expect(optimalPartitioning(data, 1, 1)).to.deep.equal([4]);
    // A penalty above the whole saving (≈ 200) removes it.
    expect(pelt(data, 500, 1)).to.deep.equal([]);
  });

  it('PELT and optimal partitioning reach the exhaustive optimum, for every minimum size', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 60; trial++) {
      const n = rng.int(2, 12);
      const d = rng.int(1, 4);
      const minSize = rng.int(1, 4);
      const penalty = 0.5 + rng.uniform() * 20;
      const data = randomSteps(rng, n, d);
      const expected = bruteForce(data, penalty, minSize);
      for (const found of [pelt(data, penalty, minSize), optimalPartitioning(data, penalty, minSize)]) {
        expect(found, `trial ${trial}`).to.deep.equal(expected.boundaries);
      }
    }
  });

  it('PELT prunes without losing the optimum on longer series (checked against optimal partitioning)', () => {
    const rng = new Rng(12);
    for (let trial = 0; trial < 40; trial++) {
      const n = rng.int(20, 120);
      const minSize = rng.int(1, 6);
      const data = Array.from({ length: n }, (_, t) => [Math.floor(t / 15) % 3 + rng.normal() * 0.5, rng.normal()]);
      const penalty = 2 + rng.uniform() * 15;
      expect(pelt(data, penalty, minSize)).to.deep.equal(optimalPartitioning(data, penalty, minSize));
    }
  });

  it('PELT keeps a pruned candidate until a segment from the pruning time could be long enough', () => {
    // Low penalties on noise give many short segments, where pruning s at time t and then
    // needing s again for an end T < t + minSize happens (a few % of these series).
    const rng = new Rng(12345);
    for (let trial = 0; trial < 150; trial++) {
      const n = rng.int(20, 60);
      const minSize = rng.int(2, 6);
      const data = Array.from({ length: n }, () => [rng.normal()]);
      const penalty = 0.2 + rng.uniform() * 2;
      expect(pelt(data, penalty, minSize), `trial ${trial}`).to.deep.equal(optimalPartitioning(data, penalty, minSize));
    }
  });

  it('respects the minimum segment length', () => {
    // A one-row blip: found with minSize 1, impossible with minSize 3.
    const data = [0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0].map((v) => [v + 0]);
    expect(pelt(data, 1, 1)).to.deep.equal([5, 6]);
    const constrained = pelt(data, 1, 3);
    const edges = [0, ...constrained, data.length];
    for (let i = 1; i < edges.length; i++) expect(edges[i] - edges[i - 1]).to.be.at.least(3);
    expect(pelt([[1], [2], [3], [4], [5]], 0, 3)).to.deep.equal([]);
  });

  it('binary segmentation finds well separated steps', () => {
    const data = Array.from({ length: 30 }, (_, t) => [t < 10 ? 0 : t < 20 ? 5 : -5]);
    expect(binarySegmentation(data, 1, 2)).to.deep.equal([10, 20]);
  });
});

describe('phases/changepoints: default penalty', () => {
  it('follows the documented formula for the constant model (values computed by hand)', () => {
    // n = 20, d = 1: c = 19·18/(17·15), x = ln 20 + 4, β = c(1 + 2√x + 2x)
    expect(defaultPenalty(20, 1, 'constant')).to.be.closeTo(27.20087460791968, 1e-9);
    expect(defaultPenalty(154, 8, 'constant')).to.be.closeTo(44.528714089860145, 1e-9);
    expect(defaultPenalty(60, 6, 'constant')).to.be.closeTo(39.4338409514505, 1e-9);
  });

  it('counts two parameters per metric for the linear model (the default)', () => {
    // n = 20, d = 1: ν = 18, c = 18·17/(16·14), p = 2, x = ln 20 + 4, β = c(2 + 2√(2x) + 2x)
    const x = Math.log(20) + 4;
    const c = (18 * 17) / (16 * 14);
    expect(defaultPenalty(20, 1, 'linear')).to.be.closeTo(c * (2 + 2 * Math.sqrt(2 * x) + 2 * x), 1e-12);
    expect(defaultPenalty(20, 1, 'linear')).to.be.closeTo(32.0651, 1e-4);
    expect(defaultPenalty(154, 8)).to.equal(defaultPenalty(154, 8, 'linear'));
  });

  it('grows much slower than linearly in d beyond the χ² mean', () => {
    // The margin above p grows like √p, so doubling d from 10 to 20 adds far less than 2× the margin.
    const margin = (d: number): number => defaultPenalty(100, d, 'constant') - d * 1.0;
    expect(margin(20) / margin(10)).to.be.lessThan(1.6);
    const linearMargin = (d: number): number => defaultPenalty(100, d, 'linear') - d * 2.0;
    expect(linearMargin(20) / linearMargin(10)).to.be.lessThan(1.6);
  });
});

describe('phases/changepoints: planted level shifts, constant model', () => {
  const check = (p: Planted, steps: number[], method: 'pelt' | 'binseg' = 'pelt'): void => {
    const data = plantedSeries(p);
    expect(steps.length).to.equal(p.n);
    const found = detectChangePoints(data, { method, model: 'constant' }).boundaries;
    const label = `seed ${p.seed}: planted ${p.boundaries}, found ${found}`;
    expect(found.length, label).to.equal(p.boundaries.length);
    p.boundaries.forEach((b, i) => expect(Math.abs(found[i] - b), label).to.be.at.most(1));
  };

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`linear grid, 60 checkpoints, 6 metrics (scales 0.01…100) all shifting 2σ — seed ${seed}`, () => {
      check({ n: 60, d: 6, boundaries: [20, 40], shift: 2, shifted: 6, seed }, linearSteps(60));
    });
    it(`linear grid, 60 checkpoints, 3σ shifts in 3 of 6 metrics — seed ${seed}`, () => {
      check({ n: 60, d: 6, boundaries: [20, 40], shift: 3, shifted: 3, seed: 100 + seed }, linearSteps(60));
    });
    it(`linear grid, 40 checkpoints, 5 metrics all shifting 2.5σ once — seed ${seed}`, () => {
      check({ n: 40, d: 5, boundaries: [20], shift: 2.5, shifted: 5, seed: 200 + seed }, linearSteps(40));
    });
    it(`Pythia grid (154 checkpoints), 8 metrics all shifting 2σ — seed ${seed}`, () => {
      check({ n: 154, d: 8, boundaries: [30, 80, 120], shift: 2, shifted: 8, seed: 300 + seed }, pythiaSteps());
    });
    it(`Pythia grid, 3σ shifts in 4 of 8 metrics — seed ${seed}`, () => {
      check({ n: 154, d: 8, boundaries: [30, 80, 120], shift: 3, shifted: 4, seed: 400 + seed }, pythiaSteps());
    });
    it(`Pythia grid, 3σ shifts in 3 of 12 metrics, one boundary inside the log-spaced start — seed ${seed}`, () => {
      check({ n: 154, d: 12, boundaries: [11, 60, 110], shift: 3, shifted: 3, seed: 500 + seed }, pythiaSteps());
    });
  }

  it('binary segmentation also finds the planted boundaries', () => {
    for (const seed of [1, 2, 3]) {
      check({ n: 60, d: 6, boundaries: [20, 40], shift: 3, shifted: 6, seed: 600 + seed }, linearSteps(60), 'binseg');
      check({ n: 154, d: 8, boundaries: [30, 80, 120], shift: 3, shifted: 4, seed: 700 + seed }, pythiaSteps(), 'binseg');
    }
  });

  it('stationary noise gives no boundary (n = 20…154, d = 1…20, several seeds)', () => {
    for (const n of [20, 45, 154]) {
      for (const d of [1, 5, 20]) {
        for (const seed of [1, 2, 3, 4, 5]) {
          const found = detectChangePoints(noiseSeries(n, d, 1000 * n + 10 * d + seed), { model: 'constant' }).boundaries;
          expect(found, `n=${n} d=${d} seed=${seed}`).to.deep.equal([]);
        }
      }
    }
  });

  it('stationary noise gives no boundary with binary segmentation or a minimum size of 1', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(detectChangePoints(noiseSeries(60, 4, 77 + seed), { method: 'binseg', model: 'constant' }).boundaries).to.deep.equal([]);
      expect(detectChangePoints(noiseSeries(60, 4, 88 + seed), { minSize: 1, model: 'constant' }).boundaries).to.deep.equal([]);
    }
  });
});

describe('phases/changepoints: detectChangePoints', () => {
  it('does not depend on the units of a metric', () => {
    const data = plantedSeries({ n: 50, d: 3, boundaries: [25], shift: 2.5, shifted: 3, seed: 9 });
    const rescaled = data.map((row) => [row[0] * 1e4, row[1] * 1e-3 + 7, row[2]]);
    const a = detectChangePoints(data);
    const b = detectChangePoints(rescaled);
    expect(b.boundaries).to.deep.equal(a.boundaries);
    expect(b.penalty).to.be.closeTo(a.penalty, 1e-9);
    expect(b.scale[0] / a.scale[0]).to.be.closeTo(1e4, 1e-6);
  });

  it('drops constant metrics and reports segment means in the input units', () => {
    const rng = new Rng(5);
    const data = Array.from({ length: 30 }, (_, t) => [42, (t < 15 ? 10 : 20) + rng.normal() * 0.5]);
    const r = detectChangePoints(data, { model: 'constant' });
    expect(r.dropped).to.deep.equal([{ column: 0, reason: 'constant over all checkpoints' }]);
    expect(r.used).to.deep.equal([1]);
    expect(r.boundaries).to.deep.equal([15]);
    expect(r.segments.map((s) => [s.start, s.end])).to.deep.equal([[0, 15], [15, 30]]);
    expect(r.segments[0].means[0]).to.equal(42);
    expect(r.segments[0].means[1]).to.be.closeTo(10, 0.5);
    expect(r.segments[1].means[1]).to.be.closeTo(20, 0.5);
    // The noise scale is estimated from within the segments, not inflated by the shift.
    expect(r.scale[0]).to.be.within(0.3, 0.75);
  });

  it('a user penalty is used as given', () => {
    const data = plantedSeries({ n: 40, d: 2, boundaries: [20], shift: 3, shifted: 2, seed: 4 });
    expect(detectChangePoints(data, { penalty: 1e6 }).boundaries).to.deep.equal([]);
    expect(detectChangePoints(data, { penalty: 7 }).penalty).to.equal(7);
  });

  it('rejects bad options', () => {
    const data = noiseSeries(20, 2, 1);
    expect(() => detectChangePoints(data, { minSize: 0 })).to.throw(/minSize/);
    expect(() => detectChangePoints(data, { penalty: -1 })).to.throw(/penalty/);
    expect(() => detectChangePoints(data, { method: 'x' as 'pelt' })).to.throw(/method/);
    expect(() => detectChangePoints(data, { model: 'x' as 'linear' })).to.throw(/model/);
    expect(() => detectChangePoints(data, { minSize: 2 })).to.throw(/at least 3 with the linear model/);
    expect(() => detectChangePoints(data, { noise: 'pink' as 'white' })).to.throw(/noise/);
    expect(() => detectChangePoints(data, { x: [1, 2, 3] })).to.throw(/x/);
  });
});
