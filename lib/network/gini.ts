/**
 * Gini coefficient of non-negative values (Gini 1912), the mean absolute difference over twice
 * the mean, Σ_i Σ_j |x_i − x_j| / (2 n² x̄), computed from the sorted values as
 *   G = Σ_i (2i − n − 1) x_(i) / (n Σ x),  i = 1..n.
 * 0 when all values are equal; (n − 1)/n when one value holds everything. Null for no values or an
 * all-zero sample (0/0).
 */
export function gini(values: readonly number[]): number | null {
  const n = values.length;
  const total = values.reduce((a, b) => a + b, 0);
  if (n === 0 || total === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  let weighted = 0;
  for (let i = 0; i < n; i++) weighted += (2 * (i + 1) - n - 1) * sorted[i];
  return weighted / (n * total);
}
