/**
 * The linear (broken-trend) model on simulated series with a planted truth, on the two grids the
 * study uses: the tiny model's 47 checkpoints and Pythia's 154, both read on the log-step axis the
 * detector chooses for them, with metrics on scales from 0.01 to 100. Each claim is a rate over
 * fixed seeds, so the outcome is deterministic; docs/phases.md has the full power table.
 */
import { expect } from 'chai';
import { axisValues, resolveAxis } from '../../lib/phases/axis.js';
import { detectChangePoints } from '../../lib/phases/changepoints.js';
import { LinearCost } from '../../lib/phases/costs.js';
import { refineBoundaries } from '../../lib/phases/refine.js';
import { trendNoiseScale } from '../../lib/phases/standardize.js';
import { Rng } from '../../lib/util/rng.js';
import { plantedTrendSeries, pythiaSteps, tinySteps } from './synthetic.js';

const GRIDS = [
  { name: 'tiny grid (47 checkpoints)', steps: tinySteps(), knots: [15, 31] },
  { name: "Pythia's grid (154 checkpoints)", steps: pythiaSteps(), knots: [30, 90] },
].map((g) => ({ ...g, x: axisValues(g.steps, resolveAxis(g.steps).used) }));

const SEEDS = 100;

/** Share of seeds in which every planted index is found within ± tolerance and nothing else is. */
function hitRate(grid: (typeof GRIDS)[number], d: number, planted: { index: number; slopeChange: number; levelJump?: number }[], tolerance: number): number {
  let hits = 0;
  for (let seed = 0; seed < SEEDS; seed++) {
    const series = plantedTrendSeries({ steps: grid.steps, x: grid.x, d, baseSlope: 1, knots: planted, seed: 7919 * d + seed });
    const found = detectChangePoints(series, { x: grid.x }).boundaries;
    const everyKnot = planted.every((k) => found.some((f) => Math.abs(f - k.index) <= tolerance));
    const nothingElse = found.every((f) => planted.some((k) => Math.abs(f - k.index) <= tolerance));
    if (everyKnot && nothingElse && found.length === planted.length) hits++;
  }
  return hits / SEEDS;
}

describe('phases/linear model: the segment cost', () => {
  it('LinearCost equals the residual sum of squares of least-squares lines fitted directly, on an uneven axis', () => {
    const rng = new Rng(12);
    const x = pythiaSteps().slice(0, 30).map((s) => Math.log(s + 1));
    const data = x.map((v) => [3 * v + rng.normal(), -100 * v + 1e3 + rng.normal() * 10, 0.01 * rng.normal()]);
    const cost = new LinearCost(data, x);
    for (const [s, t] of [[0, 30], [0, 2], [3, 9], [10, 30], [28, 30]]) {
      let direct = 0;
      for (let j = 0; j < 3; j++) {
        const xs = x.slice(s, t);
        const ys = data.slice(s, t).map((r) => r[j]);
        const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
        const my = ys.reduce((a, b) => a + b, 0) / ys.length;
        let sxy = 0;
        let sxx = 0;
        xs.forEach((xi, i) => { sxy += (xi - mx) * (ys[i] - my); sxx += (xi - mx) ** 2; });
        const b = sxx > 0 ? sxy / sxx : 0;
        ys.forEach((yi, i) => { direct += (yi - my - b * (xs[i] - mx)) ** 2; });
      }
      expect(cost.cost(s, t)).to.be.closeTo(direct, 1e-7 * Math.max(1, direct));
    }
    // an exactly straight segment costs nothing, whatever its slope
    const line = x.map((v) => [5 - 7 * v]);
    expect(new LinearCost(line, x).cost(0, 30)).to.be.below(1e-9);
  });

  it('the noise scale is not inflated by a trend, on any spacing', () => {
    const rng = new Rng(4);
    const x = pythiaSteps().map((s) => Math.log(s + 1));
    const noise = x.map(() => rng.normal());
    const steep = noise.map((e, t) => e + 400 * x[t]);
    expect(trendNoiseScale(noise, x)).to.be.within(0.85, 1.15);
    expect(trendNoiseScale(steep, x) / trendNoiseScale(noise, x)).to.be.closeTo(1, 1e-6);
  });

  it('a knot is placed by the continuous (hinge) fit, a level jump by the broken one', () => {
    const x = Array.from({ length: 40 }, (_, t) => t);
    const knot = x.map((t) => [t < 20 ? 0 : 0.8 * (t - 19)]);
    const jump = x.map((t) => [t < 20 ? 0 : 6]);
    // start both searches off by three checkpoints: the refinement must bring them back
    expect(refineBoundaries(knot, x, [23], 3)).to.deep.equal({ boundaries: [20], shapes: ['knot'] });
    expect(refineBoundaries(jump, x, [17], 3)).to.deep.equal({ boundaries: [20], shapes: ['jump'] });
  });
});

describe('phases/linear model: planted truth (issue acceptance)', () => {
  for (const grid of GRIDS) {
    it(`${grid.name}: a single straight trend of any slope up to 1σ per checkpoint gives no boundary in >= 99% of seeds, d = 1…15`, () => {
      for (const d of [1, 2, 4, 8, 15]) {
        let quiet = 0;
        for (let seed = 0; seed < SEEDS; seed++) {
          const series = plantedTrendSeries({ steps: grid.steps, x: grid.x, d, baseSlope: 1, knots: [], seed: 31 * d + seed });
          if (detectChangePoints(series, { x: grid.x }).boundaries.length === 0) quiet++;
        }
        expect(quiet / SEEDS, `d=${d}`).to.be.at.least(0.99);
      }
    });

    it(`${grid.name}: stationary noise gives at most 1 false boundary per 1,000 series`, () => {
      let falseBoundaries = 0;
      for (const d of [1, 2, 4, 8, 15]) {
        for (let seed = 0; seed < 200; seed++) {
          const series = plantedTrendSeries({ steps: grid.steps, x: grid.x, d, baseSlope: 0, knots: [], seed: 100000 + 1000 * d + seed });
          falseBoundaries += detectChangePoints(series, { x: grid.x }).boundaries.length;
        }
      }
      expect(falseBoundaries).to.be.at.most(1);
    });
  }

  // The tiny grid has 16 checkpoints per regime: there a 0.5σ change of slope is found reliably from
  // 8 metrics on (d = 4: 92%, d = 2: 73%, d = 1: 19%; docs/phases.md); Pythia's grid from 1 metric on.
  const slopeCases: [number, number[]][] = [[0, [8, 15]], [1, [1, 2, 4, 8, 15]]];
  for (const [g, ds] of slopeCases) {
    const grid = GRIDS[g];
    it(`${grid.name}: slope changes of 0.5σ per checkpoint are found within ±2 checkpoints with nothing extra in >= 95% of seeds, d = ${ds.join(', ')}`, () => {
      for (const d of ds) {
        const rate = hitRate(grid, d, grid.knots.map((index) => ({ index, slopeChange: 0.5 })), 2);
        expect(rate, `d=${d}`).to.be.at.least(0.95);
      }
    });
  }

  const levelCases: [number, number[]][] = [[0, [8, 15]], [1, [1, 2, 4, 8, 15]]];
  for (const [g, ds] of levelCases) {
    const grid = GRIDS[g];
    it(`${grid.name}: level shifts of 3σ (on top of trends) are found within ±1 checkpoint in >= 95% of seeds, d = ${ds.join(', ')}`, () => {
      for (const d of ds) {
        const rate = hitRate(grid, d, grid.knots.map((index) => ({ index, slopeChange: 0, levelJump: 3 })), 1);
        expect(rate, `d=${d}`).to.be.at.least(0.95);
      }
    });
  }
});

describe('phases/linear model: why not the constant model', () => {
  it('the piecewise-constant model cuts a steady trend into a staircase that the linear model leaves whole', () => {
    const grid = GRIDS[1];
    const series = plantedTrendSeries({ steps: grid.steps, x: grid.x, d: 4, baseSlope: 1, knots: [], seed: 3 });
    expect(detectChangePoints(series, { x: grid.x }).boundaries).to.deep.equal([]);
    expect(detectChangePoints(series, { x: grid.x, model: 'constant' }).boundaries.length).to.be.at.least(5);
  });
});
