/**
 * Shannon entropy, in nats, of the distribution p_i = w_i / Σ w of non-negative values
 * (0 · ln 0 = 0): ln(n) for n equal values, 0 when one value holds everything. Null for an
 * all-zero or empty sample.
 */
export function entropy(values: readonly number[]): number | null {
  const total = values.reduce((a, b) => a + b, 0);
  if (values.length === 0 || total === 0) return null;
  let h = 0;
  for (const w of values) {
    if (w === 0) continue;
    const p = w / total;
    h -= p * Math.log(p);
  }
  return h;
}
