/**
 * Segment costs of the change-point search: the residual sum of squares of one segment of a
 * multivariate series under a per-segment model, in O(d) from cumulative sums.
 *
 * - `constant` (L2Cost): each metric is constant within a segment (its own mean); a boundary is a
 *   level shift. The piecewise-constant model of the first version.
 * - `linear` (LinearCost): each metric follows its own straight line on the time axis within a
 *   segment (own intercept and slope; a level jump at a boundary is allowed); a boundary is a
 *   change of rate, of level, or both. This is the broken-trend regression of Bai & Perron
 *   (Econometrica 1998; J. Applied Econometrics 2003) and the `linear` cost of the ruptures
 *   library (Truong, Oudre & Vayatis, Signal Processing 2020), written from the normal equations:
 *   for a segment with m points, centred sums Sxx = Σx² − (Σx)²/m, Sxy = Σxy − ΣxΣy/m,
 *   Syy = Σy² − (Σy)²/m, the residual sum of squares of the least-squares line is
 *   Syy − Sxy² / Sxx.
 *
 * Both costs satisfy C(a, b) + C(b, c) ≤ C(a, c) (a fit on [a, c) restricted to each part is
 * admissible there), which is what PELT's pruning needs (Killick et al. 2012, Theorem 3.1, K = 0).
 */

export type SegmentModel = 'linear' | 'constant';
export const SEGMENT_MODELS: readonly SegmentModel[] = ['linear', 'constant'];

/** Parameters a segment fits per metric: 1 for the constant model, 2 (intercept, slope) for the linear one. */
export function parametersPerMetric(model: SegmentModel): number {
  return model === 'linear' ? 2 : 1;
}

/** A per-metric fit of one segment, in the units of the data given to the cost. */
export interface SegmentFit {
  /** Value of the fitted line at the segment's first and last point, per metric. */
  first: number[];
  last: number[];
  /** Slope per unit of the cost's time coordinate (0 for the constant model), per metric. */
  slope: number[];
  /** Mean of each metric over the segment. */
  mean: number[];
}

export interface SegmentCost {
  readonly model: SegmentModel;
  /** Rows (checkpoints) and columns (metrics). */
  readonly n: number;
  readonly d: number;
  /** Residual sum of squares of rows [s, t), summed over columns. */
  cost(s: number, t: number): number;
  /** Residual sum of squares of rows [s, t) of column j alone. */
  columnCost(s: number, t: number, j: number): number;
  /** The least-squares fit of rows [s, t). */
  fit(s: number, t: number): SegmentFit;
  /**
   * cost(starts[i], t0 + k) for i < count and k < ends, into out[i * ends + k]: the same numbers
   * as cost(), for the change-point search, which asks for every candidate at every t. Each
   * start's prefix sums are read once for `ends` consecutive ends: with thousands of candidates
   * (a long stretch without change) the search is otherwise bound by memory, not arithmetic.
   */
  costsBlock?(t0: number, ends: number, starts: Int32Array, count: number, out: Float64Array): void;
}

function checkRows(data: readonly (readonly number[])[], who: string): number {
  const d = data.length > 0 ? data[0].length : 0;
  data.forEach((row, t) => {
    if (row.length !== d) throw new Error(`${who}: row ${t} has ${row.length} values, expected ${d}`);
  });
  return d;
}

/**
 * Piecewise-constant cost: prefix sums of each column and of its square. data: [n][d].
 */
export class L2Cost implements SegmentCost {
  readonly model = 'constant' as const;
  readonly n: number;
  readonly d: number;
  private readonly sum: Float64Array; // [(n + 1) * d]
  private readonly sumSq: Float64Array; // [(n + 1) * d]

  constructor(data: readonly (readonly number[])[]) {
    this.n = data.length;
    this.d = checkRows(data, 'L2Cost');
    const { n, d } = this;
    this.sum = new Float64Array((n + 1) * d);
    this.sumSq = new Float64Array((n + 1) * d);
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < d; j++) {
        const v = data[t][j];
        this.sum[(t + 1) * d + j] = this.sum[t * d + j] + v;
        this.sumSq[(t + 1) * d + j] = this.sumSq[t * d + j] + v * v;
      }
    }
  }

  columnCost(s: number, t: number, j: number): number {
    const len = t - s;
    if (len <= 0) return 0;
    const { d } = this;
    const sx = this.sum[t * d + j] - this.sum[s * d + j];
    const sxx = this.sumSq[t * d + j] - this.sumSq[s * d + j];
    const rss = sxx - (sx * sx) / len;
    // Rounding can make an exactly constant segment's cost a tiny negative number.
    return rss > 0 ? rss : 0;
  }

  cost(s: number, t: number): number {
    let total = 0;
    for (let j = 0; j < this.d; j++) total += this.columnCost(s, t, j);
    return total;
  }

  costsBlock(t0: number, ends: number, starts: Int32Array, count: number, out: Float64Array): void {
    const { d, sum, sumSq } = this;
    for (let i = 0; i < count; i++) {
      const s = starts[i];
      const from = s * d;
      for (let k = 0; k < ends; k++) {
        const t = t0 + k;
        const len = t - s;
        if (len <= 0) {
          out[i * ends + k] = 0;
          continue;
        }
        // columnCost's arithmetic, operation for operation, so the search's costs equal cost()'s.
        const at = t * d;
        let total = 0;
        for (let j = 0; j < d; j++) {
          const sx = sum[at + j] - sum[from + j];
          const sxx = sumSq[at + j] - sumSq[from + j];
          const rss = sxx - (sx * sx) / len;
          total += rss > 0 ? rss : 0;
        }
        out[i * ends + k] = total;
      }
    }
  }

  /** Mean of each column over rows [s, t). */
  mean(s: number, t: number): number[] {
    const { d } = this;
    const out = new Array<number>(d);
    for (let j = 0; j < d; j++) out[j] = (this.sum[t * d + j] - this.sum[s * d + j]) / (t - s);
    return out;
  }

  fit(s: number, t: number): SegmentFit {
    const mean = this.mean(s, t);
    return { first: mean.slice(), last: mean.slice(), slope: mean.map(() => 0), mean };
  }
}

/**
 * Piecewise-linear cost on the time coordinate `x` (one value per row, strictly increasing).
 * x is centred and scaled internally (by its mean gap) so that the sums stay well conditioned and
 * slopes come out per average checkpoint; the cost does not depend on that choice.
 */
export class LinearCost implements SegmentCost {
  readonly model = 'linear' as const;
  readonly n: number;
  readonly d: number;
  /** Mean gap between consecutive x: the unit in which `fit` reports slopes. */
  readonly unit: number;
  private readonly u: Float64Array; // [n] scaled time
  private readonly su: Float64Array; // [n + 1] Σu
  private readonly suu: Float64Array; // [n + 1] Σu²
  private readonly sy: Float64Array; // [(n + 1) * d] Σy
  private readonly suy: Float64Array; // [(n + 1) * d] Σuy
  private readonly syy: Float64Array; // [(n + 1) * d] Σy²

  constructor(data: readonly (readonly number[])[], x: readonly number[]) {
    this.n = data.length;
    this.d = checkRows(data, 'LinearCost');
    const { n, d } = this;
    if (x.length !== n) throw new Error(`LinearCost: ${x.length} time values for ${n} rows`);
    for (let t = 0; t < n; t++) {
      if (!Number.isFinite(x[t])) throw new Error(`LinearCost: time value ${t} is ${x[t]}, not a finite number`);
      if (t > 0 && !(x[t] > x[t - 1])) throw new Error(`LinearCost: time values must increase strictly (row ${t}: ${x[t]} after ${x[t - 1]})`);
    }
    const centre = n > 0 ? (x[0] + x[n - 1]) / 2 : 0;
    this.unit = n > 1 ? (x[n - 1] - x[0]) / (n - 1) : 1;
    this.u = Float64Array.from(x, (v) => (v - centre) / this.unit);
    this.su = new Float64Array(n + 1);
    this.suu = new Float64Array(n + 1);
    this.sy = new Float64Array((n + 1) * d);
    this.suy = new Float64Array((n + 1) * d);
    this.syy = new Float64Array((n + 1) * d);
    for (let t = 0; t < n; t++) {
      const u = this.u[t];
      this.su[t + 1] = this.su[t] + u;
      this.suu[t + 1] = this.suu[t] + u * u;
      for (let j = 0; j < d; j++) {
        const y = data[t][j];
        const at = (t + 1) * d + j;
        const before = t * d + j;
        this.sy[at] = this.sy[before] + y;
        this.suy[at] = this.suy[before] + u * y;
        this.syy[at] = this.syy[before] + y * y;
      }
    }
  }

  /** Σ(u − ū)² of rows [s, t), u the scaled time: the noise variance of a fitted slope is σ² over this. */
  timeSpread(s: number, t: number): number {
    return t - s > 0 ? this.centredTime(s, t).suu : 0;
  }

  /** Centred Σu² of rows [s, t) (0 for a single row). */
  private centredTime(s: number, t: number): { m: number; su: number; suu: number } {
    const m = t - s;
    const su = this.su[t] - this.su[s];
    return { m, su, suu: this.suu[t] - this.suu[s] - (su * su) / m };
  }

  columnCost(s: number, t: number, j: number): number {
    if (t - s <= 0) return 0;
    return this.columnFit(s, t, j, this.centredTime(s, t)).rss;
  }

  cost(s: number, t: number): number {
    if (t - s <= 0) return 0;
    const time = this.centredTime(s, t);
    let total = 0;
    for (let j = 0; j < this.d; j++) total += this.columnFit(s, t, j, time).rss;
    return total;
  }

  costsBlock(t0: number, ends: number, starts: Int32Array, count: number, out: Float64Array): void {
    const { d, su: SU, suu: SUU, sy: SY, suy: SUY, syy: SYY } = this;
    for (let i = 0; i < count; i++) {
      const s = starts[i];
      const from = s * d;
      for (let k = 0; k < ends; k++) {
        const t = t0 + k;
        const m = t - s;
        if (m <= 0) {
          out[i * ends + k] = 0;
          continue;
        }
        // centredTime and columnFit's arithmetic, operation for operation, so the search's costs
        // equal cost()'s bit for bit; only the per-column objects and lookups are gone.
        const su = SU[t] - SU[s];
        const suu = SUU[t] - SUU[s] - (su * su) / m;
        const sloped = suu > 1e-12 * m;
        const at = t * d;
        let total = 0;
        for (let j = 0; j < d; j++) {
          const sy = SY[at + j] - SY[from + j];
          const syy = SYY[at + j] - SYY[from + j] - (sy * sy) / m;
          const suy = SUY[at + j] - SUY[from + j] - (su * sy) / m;
          const slope = sloped ? suy / suu : 0;
          const rss = syy - slope * suy;
          total += rss > 0 ? rss : 0;
        }
        out[i * ends + k] = total;
      }
    }
  }

  private columnFit(s: number, t: number, j: number, time: { m: number; su: number; suu: number }): { rss: number; slope: number; mean: number } {
    const { d } = this;
    const { m, su, suu } = time;
    const sy = this.sy[t * d + j] - this.sy[s * d + j];
    const syy = this.syy[t * d + j] - this.syy[s * d + j] - (sy * sy) / m;
    const suy = this.suy[t * d + j] - this.suy[s * d + j] - (su * sy) / m;
    // A single point (or rounding at two equal times, which the constructor rules out) has no slope.
    const slope = suu > 1e-12 * m ? suy / suu : 0;
    const rss = syy - slope * suy;
    return { rss: rss > 0 ? rss : 0, slope, mean: sy / m };
  }

  fit(s: number, t: number): SegmentFit {
    const time = this.centredTime(s, t);
    const centre = time.su / time.m;
    const first: number[] = [];
    const last: number[] = [];
    const slope: number[] = [];
    const mean: number[] = [];
    for (let j = 0; j < this.d; j++) {
      const f = this.columnFit(s, t, j, time);
      first.push(f.mean + f.slope * (this.u[s] - centre));
      last.push(f.mean + f.slope * (this.u[t - 1] - centre));
      slope.push(f.slope);
      mean.push(f.mean);
    }
    return { first, last, slope, mean };
  }
}

/** The cost of `model` on data ([n][d]); x (the time axis) is needed by the linear model. */
export function segmentCost(model: SegmentModel, data: readonly (readonly number[])[], x?: readonly number[]): SegmentCost {
  if (model === 'constant') return new L2Cost(data);
  if (model === 'linear') return new LinearCost(data, x ?? data.map((_, t) => t));
  throw new Error(`segmentCost: model must be linear or constant, got ${String(model)}`);
}
