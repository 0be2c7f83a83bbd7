/**
 * Position ranges: `all`, or a half-open range `from:to` (either end may be left out: `51:`,
 * `:20`). Measured positions index the sequence (0 … seq-1); loss positions index logits, where
 * the logit at p predicts token p+1, so they must lie in 0 … seq-2.
 */
import { OptionError } from '../util/errors.js';

/** `all`, or [from, to) with either end possibly open (null). */
export type PositionSpec = 'all' | { from: number | null; to: number | null };

/** A resolved half-open range [from, to). */
export type Range = [number, number];

export function parsePositions(text: string, option: string): PositionSpec {
  const t = text.trim();
  if (t === 'all') return 'all';
  const m = /^(\d*):(\d*)$/.exec(t);
  if (!m || (m[1] === '' && m[2] === '')) throw new OptionError(option, `expected "all" or a half-open range FROM:TO of integers (e.g. 51:101), got "${text}"`);
  return { from: m[1] === '' ? null : Number(m[1]), to: m[2] === '' ? null : Number(m[2]) };
}

export function formatPositions(spec: PositionSpec): string {
  if (spec === 'all') return 'all';
  return `${spec.from ?? ''}:${spec.to ?? ''}`;
}

/** Resolve against `length` valid indices (0 … length-1); errors name `option` and `what`. */
export function resolveRange(spec: PositionSpec, length: number, option: string, what: string): Range {
  if (spec === 'all') return [0, length];
  const from = spec.from ?? 0;
  const to = spec.to ?? length;
  if (!(from < to)) throw new OptionError(option, `empty range ${from}:${to} (need FROM < TO)`);
  if (to > length) throw new OptionError(option, `range ${from}:${to} goes past the ${length} ${what} (valid: 0:${length})`);
  return [from, to];
}

/** [from, …, to-1]. */
export function rangeIndices([from, to]: Range): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
