/**
 * Communities followed across checkpoints. Community detection (e.g. Louvain) numbers its
 * communities arbitrarily at every checkpoint; here each community of checkpoint t inherits the id
 * of the community of checkpoint t−1 it overlaps most (Jaccard index of their member sets), so a
 * community keeps its id while its members drift (Greene, Doyle & Cunningham, "Tracking the
 * evolution of communities in dynamic social networks", ASONAM 2010, use the same matching).
 *
 * Matching is greedy on the Jaccard index: all (previous, current) pairs above minJaccard, best
 * first, each community matched at most once. A current community left unmatched (born, or split
 * off) gets a fresh id; a previous one left unmatched has died or merged.
 */
import { jaccard } from './ranking.js';

export interface TrackedCommunity {
  id: string;
  /** Member node ids, sorted. */
  members: string[];
}

export interface TrackOptions {
  /** A pair must overlap more than this to inherit an id (default 0: any overlap). */
  minJaccard?: number;
  /** Prefix of the ids (default 'C': C0, C1, …). */
  idPrefix?: string;
}

/** One link of the alluvial diagram: nodes that were in `source` at `from` and in `target` at `to`. */
export interface CommunityFlow {
  from: number;
  to: number;
  source: string;
  target: string;
  count: number;
  members: string[];
}

function sortedMembers(community: readonly string[]): string[] {
  return [...new Set(community)].sort();
}

/** Deterministic order of new communities: larger first, then by their smallest member. */
function compareCommunities(a: string[], b: string[]): number {
  if (a.length !== b.length) return b.length - a.length;
  const ka = a.join('\u0000');
  const kb = b.join('\u0000');
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Tracks the partitions (one list of communities per checkpoint, in time order). Returns, per
 * checkpoint, its communities with their tracked ids, in the order: larger first, then by id.
 */
export function trackCommunities(partitions: readonly (readonly (readonly string[])[])[], options: TrackOptions = {}): TrackedCommunity[][] {
  const minJaccard = options.minJaccard ?? 0;
  const prefix = options.idPrefix ?? 'C';
  let nextId = 0;
  const fresh = (): string => `${prefix}${nextId++}`;
  const tracked: TrackedCommunity[][] = [];
  let previous: TrackedCommunity[] = [];
  for (const partition of partitions) {
    const current = partition.map(sortedMembers).filter((c) => c.length > 0).sort(compareCommunities);
    const pairs: { prev: number; cur: number; score: number; common: number }[] = [];
    previous.forEach((p, i) => {
      const prevSet = new Set(p.members);
      current.forEach((c, j) => {
        const common = c.filter((m) => prevSet.has(m)).length;
        if (common === 0) return;
        const score = jaccard(p.members, c);
        if (score > minJaccard) pairs.push({ prev: i, cur: j, score, common });
      });
    });
    // Best overlap first; ties by larger intersection, then the older id, then the current order
    // (which is itself deterministic), so the result never depends on the input's listing order.
    pairs.sort((a, b) => b.score - a.score || b.common - a.common || idOrder(previous[a.prev].id, previous[b.prev].id) || a.cur - b.cur);
    const assigned = new Array<string | undefined>(current.length);
    const prevUsed = new Set<number>();
    for (const pair of pairs) {
      if (prevUsed.has(pair.prev) || assigned[pair.cur] !== undefined) continue;
      prevUsed.add(pair.prev);
      assigned[pair.cur] = previous[pair.prev].id;
    }
    const step: TrackedCommunity[] = current.map((members, j) => ({ id: assigned[j] ?? fresh(), members }));
    step.sort((a, b) => b.members.length - a.members.length || idOrder(a.id, b.id));
    tracked.push(step);
    previous = step;
  }
  return tracked;
}

/** C2 before C10: by the numeric suffix when both have one, else as strings. */
function idOrder(a: string, b: string): number {
  const na = Number(a.replace(/^\D*/, ''));
  const nb = Number(b.replace(/^\D*/, ''));
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Flows between consecutive tracked partitions, for an alluvial (Sankey) plot: for every pair of
 * communities (one at checkpoint t−1, one at t) that share nodes, how many and which. Nodes present
 * at only one of the two checkpoints have no flow. steps: the step of each partition. Ordered by
 * transition, then source id, then target id.
 */
export function communityFlows(tracked: readonly TrackedCommunity[][], steps: readonly number[]): CommunityFlow[] {
  if (steps.length !== tracked.length) {
    throw new Error(`communityFlows: ${tracked.length} partitions but ${steps.length} steps`);
  }
  const flows: CommunityFlow[] = [];
  for (let t = 1; t < tracked.length; t++) {
    const start = flows.length;
    for (const source of tracked[t - 1]) {
      const sourceSet = new Set(source.members);
      for (const target of tracked[t]) {
        const members = target.members.filter((m) => sourceSet.has(m));
        if (members.length === 0) continue;
        flows.push({ from: steps[t - 1], to: steps[t], source: source.id, target: target.id, count: members.length, members });
      }
    }
    // Within a transition: by source id, then target id (C2 before C10).
    const transition = flows.splice(start).sort((a, b) => idOrder(a.source, b.source) || idOrder(a.target, b.target));
    flows.push(...transition);
  }
  return flows;
}
