/**
 * Power-law tail of a positive sample by the method of Clauset, Shalizi & Newman, "Power-law
 * distributions in empirical data", SIAM Review 51, 661 (2009), continuous case:
 * - for a lower bound x_min, the maximum-likelihood exponent of p(x) ∝ x^(−α), x ≥ x_min, is
 *     α̂ = 1 + n_tail / Σ_{x_i ≥ x_min} ln(x_i / x_min)                       (CSN eq. 3.1);
 * - x_min is the candidate (every distinct sample value whose tail holds at least `minTailSize`
 *   values) minimising the Kolmogorov–Smirnov distance D = sup_x |S(x) − P(x)| between the tail's
 *   empirical CDF S and the fitted CDF P(x) = 1 − (x / x_min)^(1 − α̂)        (CSN §3.3).
 * D is the two-sided sup, taken at both sides of every jump of S. Ties in D keep the smaller x_min.
 */
export interface PowerLawFit {
  alpha: number;
  xmin: number;
  /** KS distance of the chosen fit. */
  ks: number;
  /** Number of values >= x_min. */
  tailSize: number;
}

export interface PowerLawResult {
  fit: PowerLawFit | null;
  reason: string | null;
}

export function fitPowerLawTail(values: readonly number[], minTailSize: number): PowerLawResult {
  const sorted = values.filter((x) => x > 0).sort((a, b) => a - b);
  const n = sorted.length;
  if (n < Math.max(2, minTailSize)) {
    return { fit: null, reason: `power-law tail fit needs at least ${Math.max(2, minTailSize)} positive weights, got ${n}` };
  }
  const logs = Float64Array.from(sorted, Math.log);
  // suffixLog[i] = Σ_{k >= i} ln x_k, so Σ ln(x_k / x_min) over a tail is one subtraction.
  const suffixLog = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffixLog[i] = suffixLog[i + 1] + logs[i];

  let best: PowerLawFit | null = null;
  for (let start = 0; start < n; start++) {
    if (start > 0 && sorted[start] === sorted[start - 1]) continue; // one candidate per distinct value
    const tailSize = n - start;
    if (tailSize < minTailSize) break;
    const xmin = sorted[start];
    const logSum = suffixLog[start] - tailSize * logs[start];
    if (!(logSum > 0)) continue; // all tail values equal x_min: no exponent
    const alpha = 1 + tailSize / logSum;
    const ks = ksDistance(logs, start, alpha);
    if (best === null || ks < best.ks) best = { alpha, xmin, ks, tailSize };
  }
  if (best === null) return { fit: null, reason: 'power-law tail fit: no candidate x_min leaves a tail with distinct values' };
  return { fit: best, reason: null };
}

/**
 * Two-sided KS distance between the empirical CDF of the tail (the sorted values from `start`,
 * given by their logarithms) and the fitted power law P(x) = 1 − exp((1 − α)(ln x − ln x_min)).
 */
function ksDistance(logs: Float64Array, start: number, alpha: number): number {
  const tailSize = logs.length - start;
  const logXmin = logs[start];
  let d = 0;
  for (let i = 0; i < tailSize; i++) {
    const model = 1 - Math.exp((1 - alpha) * (logs[start + i] - logXmin));
    d = Math.max(d, Math.abs(model - i / tailSize), Math.abs((i + 1) / tailSize - model));
  }
  return d;
}
