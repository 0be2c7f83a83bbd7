/**
 * Power of the default (linear) change-point detection on planted series (docs/phases.md, "Power"):
 * per grid and d, the share of seeds in which every planted change is found (knots within ±2
 * checkpoints, level shifts within ±1) with nothing extra. Run:
 *   node --import tsx bench/phases-power.ts [seeds] [slope|level] [magnitude]
 */
import { detectChangePoints } from '../lib/phases/changepoints.js';
import { axisValues, resolveAxis } from '../lib/phases/axis.js';
import { plantedTrendSeries, pythiaSteps, tinySteps } from '../test/phases/synthetic.js';
const seeds = Number(process.argv[2] ?? 100);
const kind = process.argv[3] ?? 'slope';
const mag = Number(process.argv[4] ?? 0.5);
for (const [name, steps, knotIdx] of [['tiny', tinySteps(), [15, 31]], ['pythia', pythiaSteps(), [30, 90]], ['pythia-early', pythiaSteps(), [8, 60]]] as const) {
  const x = axisValues(steps as number[], resolveAxis(steps as number[]).used);
  for (const d of [1, 2, 4, 8, 15]) {
    let ok = 0, missed = 0, extra = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const knots = (knotIdx as readonly number[]).map((index) => kind === 'slope' ? { index, slopeChange: mag } : { index, slopeChange: 0, levelJump: mag });
      const series = plantedTrendSeries({ steps: steps as number[], x, d, baseSlope: 1, knots, seed });
      const b = detectChangePoints(series, { x }).boundaries;
      const tol = kind === 'slope' ? 2 : 1;
      const found = knots.every((k) => b.some((f) => Math.abs(f - k.index) <= tol));
      const spurious = b.filter((f) => !knots.some((k) => Math.abs(f - k.index) <= tol)).length;
      if (found && spurious === 0) ok++;
      if (!found) missed++;
      if (spurious) extra++;
    }
    console.log(`${name} d=${d} ${kind} ${mag}: ok ${ok}/${seeds} missed ${missed} extra ${extra}`);
  }
}
