/**
 * Sample skewness, the (biased) Fisher–Pearson coefficient g1 = m3 / m2^(3/2) with central
 * moments m_k = mean((x − x̄)^k): scipy.stats.skew's default (bias=True). Null for fewer than
 * 2 values or zero variance.
 */
export function skewness(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  for (const x of values) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  if (m2 === 0) return null;
  return m3 / Math.pow(m2, 1.5);
}
