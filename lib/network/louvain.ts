/**
 * Louvain communities (Blondel et al., J. Stat. Mech. 2008) maximising directed modularity
 * (Dugué & Perez 2015), by graphology-communities-louvain. Deterministic: its random node order
 * is drawn from the project's seeded Rng, so one seed gives one partition on every platform.
 * Communities are returned in canonical order: members in graph node order, communities ordered
 * by their first member.
 */
import louvainModule from 'graphology-communities-louvain';
import { DEFAULTS } from './defaults.js';
import { cjsDefault } from './interop.js';
import { libraryGraph } from './library-ids.js';
import { modularity } from './modularity.js';
import { OptionError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { ComponentGraph } from './types.js';

const graphologyLouvain = cjsDefault(louvainModule);

export interface LouvainOptions {
  seed?: number;
  resolution?: number;
  /** Independent runs (one seeded random stream); the partition of highest modularity is kept. */
  restarts?: number;
}

export interface LouvainResult {
  communities: string[][];
  /** Directed modularity of `communities` (modularity.ts); null on a graph without edges. */
  modularity: number | null;
}

export function louvain(graph: ComponentGraph, options: LouvainOptions = {}): LouvainResult {
  const seed = options.seed ?? DEFAULTS.louvain.seed;
  const resolution = options.resolution ?? DEFAULTS.louvain.resolution;
  if (graph.size === 0) {
    // Nothing to optimise: every node on its own.
    return { communities: graph.nodes().map((node) => [node]), modularity: null };
  }
  const restarts = options.restarts ?? DEFAULTS.louvain.restarts;
  if (!(Number.isInteger(restarts) && restarts >= 1)) throw new OptionError('louvain restarts', `expected an integer >= 1, got ${restarts}`);
  const rng = new Rng(seed);
  const nodes = graph.nodes();
  const lib = libraryGraph(graph);
  let best: LouvainResult | null = null;
  for (let run = 0; run < restarts; run++) {
    const assignment = lib.nodeValues(graphologyLouvain(lib.graph, {
      getEdgeWeight: 'weight',
      resolution,
      rng: () => rng.uniform(),
    }));
    const communities = canonicalCommunities(nodes, assignment);
    const q = modularity(graph, { communities, resolution })!;
    // Strictly greater: among equally good partitions the earliest run wins, so the result is stable.
    if (best === null || q > best.modularity!) best = { communities, modularity: q };
  }
  return best!;
}

/** Groups nodes by label; members keep node order and groups are ordered by first member. */
export function canonicalCommunities(nodes: readonly string[], label: Record<string, number>): string[][] {
  const groups = new Map<number, string[]>();
  for (const node of nodes) {
    const group = groups.get(label[node]);
    if (group) group.push(node);
    else groups.set(label[node], [node]);
  }
  return [...groups.values()];
}
