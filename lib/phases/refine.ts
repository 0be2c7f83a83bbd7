/**
 * Placing each boundary of the linear model where the change is.
 *
 * The broken-trend cost lets every segment jump at its start, which is right for a level shift but
 * places a pure change of slope (a knot, the usual shape of a learning curve turning) poorly: with
 * a jump allowed, the lines on either side can absorb a misplaced boundary at little cost, so the
 * optimum wanders by several checkpoints when the slope change is modest. A continuous fit (the
 * two lines meet at the knot, as in CPOP: Fearnhead, Maidstone & Letchford, JCGS 2019) pins the
 * knot: moving it bends the fit away from the data on both sides.
 *
 * So, for each boundary in turn, within the stretch between its neighbouring boundaries:
 * 1. the best position under the broken-trend model (own line per side, jump allowed), and the
 *    best under the hinge model (one line plus a change of slope at the knot, no jump);
 * 2. the broken-trend fit has d more parameters (a jump per metric), so its residual sum of
 *    squares (in noise units) is always lower; when it is lower by less than the 95% point of a
 *    χ²_d — bounded by d + 2√(3d) + 6 (Laurent & Massart 2000, Lemma 1, x = 3: e⁻³ ≈ 5%) — the
 *    jumps are not needed, the change is a knot and the hinge position is taken; otherwise the
 *    change has a real level shift and the broken-trend position is kept.
 * The number of boundaries never changes here; only their positions, each by at most `window`.
 */
import { LinearCost } from './costs.js';

export type BoundaryShape = 'knot' | 'jump';

export interface RefinedBoundaries {
  boundaries: number[];
  /** Per boundary: a continuous change of slope (knot) or a change with a level jump. */
  shapes: BoundaryShape[];
}

/** How far (in checkpoints) a boundary may move. */
export const REFINE_WINDOW = 6;

/**
 * RSS of the hinge fit of column j over rows [lo, hi) with the knot at x[tau − 1]: least squares on
 * the basis 1, x, (x − x[tau−1])₊, which is continuous at the knot and changes slope there.
 * The knot point x[tau − 1] is the last point of the old regime and the corner of the fit.
 */
function hingeRss(data: readonly (readonly number[])[], u: readonly number[], lo: number, hi: number, tau: number): number {
  // Time relative to the stretch's start keeps the 3 × 3 system well conditioned on long series.
  const origin = u[lo];
  const corner = u[tau - 1] - origin;
  const m = hi - lo;
  // Normal equations of the 3-column design, shared by every metric.
  let s1 = 0, su = 0, sh = 0, suu = 0, suh = 0, shh = 0;
  for (let t = lo; t < hi; t++) {
    const v = u[t] - origin;
    const h = t >= tau ? v - corner : 0;
    s1 += 1; su += v; sh += h; suu += v * v; suh += v * h; shh += h * h;
  }
  const a = [[s1, su, sh], [su, suu, suh], [sh, suh, shh]];
  const inverse = invert3(a);
  const d = data[0].length;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let sy = 0, suy = 0, shy = 0, syy = 0;
    for (let t = lo; t < hi; t++) {
      const y = data[t][j];
      const v = u[t] - origin;
      const h = t >= tau ? v - corner : 0;
      sy += y; suy += v * y; shy += h * y; syy += y * y;
    }
    const b = [sy, suy, shy];
    // RSS = yᵀy − bᵀ A⁻¹ b (the explained sum of squares of the least-squares fit).
    let explained = 0;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) explained += b[r] * inverse[r][c] * b[c];
    total += Math.max(0, syy - explained);
  }
  return m > 0 ? total : 0;
}

function invert3(a: number[][]): number[][] {
  const [[a00, a01, a02], [a10, a11, a12], [a20, a21, a22]] = a;
  const c00 = a11 * a22 - a12 * a21;
  const c01 = a12 * a20 - a10 * a22;
  const c02 = a10 * a21 - a11 * a20;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  const k = 1 / det;
  return [
    [c00 * k, (a02 * a21 - a01 * a22) * k, (a01 * a12 - a02 * a11) * k],
    [c01 * k, (a00 * a22 - a02 * a20) * k, (a02 * a10 - a00 * a12) * k],
    [c02 * k, (a01 * a20 - a00 * a21) * k, (a00 * a11 - a01 * a10) * k],
  ];
}

/** Upper bound of the 95% point of χ²_d: the saving d needless jumps stay below 95% of the time. */
export function jumpMargin(d: number): number {
  return d + 2 * Math.sqrt(3 * d) + 6;
}

/**
 * Refines `boundaries` (row indices from the broken-trend search on the standardised data [n][d],
 * time values x) as described in the module comment. Boundaries keep their order and at least
 * minSize rows between them.
 */
export function refineBoundaries(data: readonly (readonly number[])[], x: readonly number[], boundaries: readonly number[], minSize: number, window = REFINE_WINDOW): RefinedBoundaries {
  const n = data.length;
  const d = n > 0 ? data[0].length : 0;
  const refined = boundaries.slice();
  const shapes: BoundaryShape[] = boundaries.map(() => 'jump');
  if (d === 0 || boundaries.length === 0) return { boundaries: refined, shapes };
  const cost = new LinearCost(data, x);
  const unit = (x[n - 1] - x[0]) / (n - 1);
  const u = x.map((v) => (v - x[0]) / unit);
  for (let i = 0; i < refined.length; i++) {
    const lo = i > 0 ? refined[i - 1] : 0;
    const hi = i + 1 < refined.length ? refined[i + 1] : n;
    const first = Math.max(lo + minSize, refined[i] - window);
    const last = Math.min(hi - minSize, refined[i] + window);
    let broken = { at: refined[i], rss: Infinity };
    let hinge = { at: refined[i], rss: Infinity };
    for (let tau = first; tau <= last; tau++) {
      const b = cost.cost(lo, tau) + cost.cost(tau, hi);
      if (b < broken.rss) broken = { at: tau, rss: b };
      const h = hingeRss(data, u, lo, hi, tau);
      if (h < hinge.rss) hinge = { at: tau, rss: h };
    }
    if (!Number.isFinite(broken.rss)) continue;
    if (hinge.rss - broken.rss < jumpMargin(d)) {
      refined[i] = hinge.at;
      shapes[i] = 'knot';
    } else {
      refined[i] = broken.at;
      shapes[i] = 'jump';
    }
  }
  return { boundaries: refined, shapes };
}
