/**
 * Splitting a checkpoint series across machines: `--shard K/N` takes every N-th checkpoint of
 * the step-sorted series starting at K (round robin), so every shard gets early and late
 * checkpoints alike and the split depends only on the series, never on timing.
 */
import { OptionError } from '../util/errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new OptionError('--shard', `expected K/N (e.g. 0/4), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new OptionError('--shard', `N must be at least 1, got ${count}`);
  if (index >= count) throw new OptionError('--shard', `K must be in 0..N-1, got ${index}/${count}`);
  return { index, count };
}

/** The items of `shard`, in their original order. */
export function takeShard<T>(items: readonly T[], shard: Shard | null): T[] {
  if (!shard) return [...items];
  return items.filter((_, i) => i % shard.count === shard.index);
}
