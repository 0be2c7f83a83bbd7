/**
 * Calibration of the default change-point penalty by simulation (docs/phases.md, "Penalty"):
 * the share of series with any boundary under stationary Gaussian noise and under a single
 * straight trend, per grid, n and d, for each candidate penalty offset. Run:
 *   node --import tsx bench/phases-calibration.ts [series per cell] [model] [offsets]
 */
import { detectChangePoints } from '../lib/phases/changepoints.js';
import { axisValues, resolveAxis } from '../lib/phases/axis.js';
import type { SegmentModel } from '../lib/phases/costs.js';
import { Rng } from '../lib/util/rng.js';

const perCell = Number(process.argv[2] ?? 200);
const model = (process.argv[3] ?? 'linear') as SegmentModel;
const offsets = (process.argv[4] ?? '4').split(',').map(Number);

function pythiaSteps(): number[] {
  const steps = [0];
  for (let s = 1; s <= 512; s *= 2) steps.push(s);
  for (let s = 1000; s <= 143000; s += 1000) steps.push(s);
  return steps;
}

const grids: { name: string; steps: number[] }[] = [
  { name: 'even-20', steps: Array.from({ length: 20 }, (_, i) => i * 100) },
  { name: 'even-47', steps: Array.from({ length: 47 }, (_, i) => i * 40) },
  { name: 'even-100', steps: Array.from({ length: 100 }, (_, i) => i * 10) },
  { name: 'pythia-154', steps: pythiaSteps() },
];

/** Position on the axis in units of the mean gap (slope 1 = one σ per average checkpoint). */
function trendCoordinate(x: number[]): number[] {
  const unit = (x[x.length - 1] - x[0]) / (x.length - 1);
  return x.map((v) => (v - x[0]) / unit);
}

const started = Date.now();
const allCrit: Record<string, number[]> = { noise: [], trend: [] };
for (const grid of grids) {
  const axis = resolveAxis(grid.steps, 'auto');
  const x = axisValues(grid.steps, axis.used);
  const u = trendCoordinate(x);
  const n = grid.steps.length;
  for (const d of [1, 2, 4, 8, 15]) {
    for (const kind of ['noise', 'trend'] as const) {
      const rng = new Rng(1000 * n + 10 * d + (kind === 'trend' ? 1 : 0));
      const crit: number[] = [];
      for (let r = 0; r < perCell; r++) {
        const slopes = Array.from({ length: d }, () => (kind === 'trend' ? 2 * rng.uniform() - 1 : 0));
        const scales = Array.from({ length: d }, (_, j) => 10 ** ((j % 5) - 2));
        const series = u.map((ut) => slopes.map((b, j) => scales[j] * (3 + b * ut + rng.normal())));
        crit.push(criticalOffset(series, x, n, d));
      }
      crit.sort((a, b) => a - b);
      allCrit[kind].push(...crit);
      const q = (p: number): string => crit[Math.min(crit.length - 1, Math.floor(p * crit.length))].toFixed(2);
      const over = offsets.map((o) => `P(>${o})=${(crit.filter((c) => c > o).length / perCell).toFixed(4)}`).join(' ');
      console.log(`${grid.name}\td=${d}\t${kind}\tq90 ${q(0.9)}\tq99 ${q(0.99)}\tmax ${crit[crit.length - 1].toFixed(2)}\t${over}`);
    }
  }
}
for (const kind of ['noise', 'trend']) {
  const c = allCrit[kind];
  console.log(`${kind}: ${c.length} series; ` + offsets.map((o) => `P(>${o})=${(c.filter((v) => v > o).length / c.length).toFixed(5)}`).join(' '));
}
console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);

/** The smallest offset (to 0.05) at which the series has no boundary; −2 when none at −2. */
function criticalOffset(series: number[][], x: number[], n: number, d: number): number {
  const found = (offset: number): boolean => detectChangePoints(series, { model, x, penalty: penaltyWithOffset(n, d, model, offset) }).boundaries.length > 0;
  let lo = -2;
  let hi = 10;
  if (!found(lo)) return lo;
  if (found(hi)) return hi;
  while (hi - lo > 0.05) {
    const mid = (lo + hi) / 2;
    if (found(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

function penaltyWithOffset(n: number, d: number, m: SegmentModel, offset: number): number {
  const k = m === 'linear' ? 2 : 1;
  const p = d * k;
  const xx = Math.log(n) + offset;
  const nu = Math.max(n - k, 5);
  const c = (nu * (nu - 1)) / ((nu - 2) * (nu - 4));
  return c * (p + 2 * Math.sqrt(p * xx) + 2 * xx);
}
