/**
 * The change-point search on long series (issue 17: 10,000 rows × 50 metrics took 189 s, and
 * 5,200 rows took 70 s where 5,000 took 4 s). PELT is quadratic in a stretch without change
 * (nothing can be pruned there); what made it worse was per-candidate objects, every cost read
 * from memory at every step, and a penalty sweep that redid the same searches 21 times. These
 * tests pin that the faster search finds exactly what the plain one did.
 */
import { expect } from 'chai';
import { detectBoundariesForPenalties, detectChangePoints, optimalPartitioning, pelt, peltMany } from '../../lib/phases/changepoints.js';
import { analyzeSeries } from '../../lib/phases/analyze.js';
import { L2Cost, LinearCost, type SegmentCost } from '../../lib/phases/costs.js';
import { Rng } from '../../lib/util/rng.js';

function walk(n: number, d: number, seed: number, every: number): number[][] {
  const rng = new Rng(seed);
  const level = new Array<number>(d).fill(0);
  let slope = new Array<number>(d).fill(0);
  return Array.from({ length: n }, (_, t) => {
    if (t % every === 0) slope = slope.map(() => rng.normal() * 0.05);
    return level.map((_, j) => (level[j] += slope[j]) + rng.normal());
  });
}

/** A cost that counts the (start, end) pairs asked of it. */
function counting(cost: SegmentCost): SegmentCost & { pairs: number } {
  const counted = Object.create(cost) as SegmentCost & { pairs: number };
  counted.pairs = 0;
  counted.cost = (s: number, t: number) => {
    counted.pairs++;
    return cost.cost(s, t);
  };
  counted.costsBlock = (t0: number, ends: number, starts: Int32Array, count: number, out: Float64Array) => {
    counted.pairs += ends * count;
    cost.costsBlock!(t0, ends, starts, count, out);
  };
  return counted;
}

describe('phases: the change-point search on long series', () => {
  it('costsBlock gives cost() bit for bit (linear and constant models)', () => {
    const data = walk(120, 4, 3, 30);
    const x = data.map((_, t) => Math.log(t + 2));
    for (const cost of [new LinearCost(data, x), new L2Cost(data)]) {
      const starts = Int32Array.from([0, 3, 10, 57, 100]);
      const out = new Float64Array(starts.length * 7);
      cost.costsBlock(101, 7, starts, starts.length, out);
      starts.forEach((s, i) => {
        for (let k = 0; k < 7; k++) expect(Object.is(out[i * 7 + k], cost.cost(s, 101 + k)), `${cost.model} ${s}→${101 + k}`).to.equal(true);
      });
    }
  });

  it('peltMany finds for each penalty what pelt and optimal partitioning find alone', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 40; trial++) {
      const n = rng.int(20, 90);
      const minSize = rng.int(1, 5);
      // Noise, steps and exact ties (constant stretches) alike.
      const data = Array.from({ length: n }, (_, t) => (trial % 3 === 0 ? [Math.floor(t / 10) % 2] : [Math.floor(t / 15) % 3 + rng.normal() * 0.5, rng.normal()]));
      const penalties = Array.from({ length: 6 }, () => 0.2 + rng.uniform() * 12);
      const many = peltMany(new L2Cost(data), penalties, minSize);
      penalties.forEach((penalty, p) => {
        expect(many[p], `trial ${trial} penalty ${penalty}`).to.deep.equal(pelt(data, penalty, minSize));
        expect(many[p], `trial ${trial} penalty ${penalty}`).to.deep.equal(optimalPartitioning(data, penalty, minSize));
      });
    }
  });

  it('a penalty sweep finds what detectChangePoints finds at each penalty', () => {
    for (const [seed, every] of [[1, 40], [2, 1000], [3, 25]] as const) {
      const series = walk(160, 6, seed, every);
      const x = series.map((_, t) => t * 10);
      const base = detectChangePoints(series, { x });
      const penalties = Array.from({ length: 9 }, (_, i) => base.penalty * 0.5 * 4 ** (i / 8));
      const shared = detectBoundariesForPenalties(series, { x }, penalties);
      penalties.forEach((penalty, i) => expect(shared[i], `seed ${seed} penalty ${penalty}`).to.deep.equal(detectChangePoints(series, { x, penalty }).boundaries));
    }
  });

  it('computes each segment cost once for all penalties of a sweep, where nothing can be pruned', () => {
    const data = walk(600, 8, 9, 100_000); // no change: every candidate stays
    const x = data.map((_, t) => t);
    const one = counting(new LinearCost(data, x));
    peltMany(one, [50], 3);
    const sweep = counting(new LinearCost(data, x));
    const results = peltMany(sweep, Array.from({ length: 21 }, (_, i) => 25 * 4 ** (i / 20)), 3);
    expect(results).to.have.length(21);
    // 21 searches cost about one (the blocks of costs round up a little), not 21.
    expect(sweep.pairs).to.be.below(1.2 * one.pairs);
  });

  it('analyses 10,000 checkpoints × 50 metrics in seconds, not minutes', function () {
    this.timeout(120_000);
    const rng = new Rng(5);
    const level = new Array<number>(50).fill(0);
    let slope = new Array<number>(50).fill(0);
    const checkpoints = Array.from({ length: 10_000 }, (_, t) => {
      if (t % 200 === 0) slope = slope.map(() => rng.normal() * 0.05);
      const metrics: Record<string, number> = {};
      level.forEach((_, j) => {
        level[j] += slope[j];
        metrics[`m${j}`] = level[j] + rng.normal();
      });
      return { step: t * 10, metrics };
    });
    const start = performance.now();
    const result = analyzeSeries(checkpoints, {});
    const seconds = (performance.now() - start) / 1000;
    expect(result.settings.checkpoints).to.equal(10_000);
    expect(result.phases.length).to.be.at.least(1);
    // About 10 s on a loaded two-core machine (it was 34 s before, and minutes with a sweep of
    // quadratic searches); the bound leaves room for a slow machine.
    expect(seconds).to.be.below(60);
  });
});
