/**
 * Share of the total held by the heaviest values: the k = max(1, ⌈fraction · n⌉) largest values'
 * sum over the sum of all (the "information highways" concentration; with fraction 0.1, the top 10%
 * of edges). k/n for equal values. Null for an empty or all-zero sample.
 */
import { OptionError } from '../util/errors.js';

export function topShare(values: readonly number[], fraction: number): number | null {
  if (!(fraction > 0 && fraction <= 1)) throw new OptionError('topFraction', `expected a number in (0, 1], got ${fraction}`);
  const total = values.reduce((a, b) => a + b, 0);
  if (values.length === 0 || total === 0) return null;
  const k = Math.max(1, Math.ceil(fraction * values.length - 1e-9));
  const sorted = [...values].sort((a, b) => b - a);
  let top = 0;
  for (let i = 0; i < k; i++) top += sorted[i];
  return top / total;
}
