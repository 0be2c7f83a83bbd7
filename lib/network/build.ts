/**
 * The one place where a component graph is assembled, shared by graphFromInfluence and
 * graphFromEdgeList. Order of the steps (documented in docs/network.md):
 *   1. drop the LOGITS sink (option `logits: 'drop'`),
 *   2. negative weights: error (default), abs, or drop,
 *   3. weight-0 entries are no edge,
 *   4. prune (threshold | percentile | top-k per node), on the weights of steps 2–3,
 *   5. normalise (none | max | sum), so 'sum' really sums to 1 on the final graph.
 */
import { DirectedGraph } from 'graphology';
import { DEFAULTS } from './defaults.js';
import { isPrototypeKey } from './library-ids.js';
import { LOGITS_ID, nodeAttributesOf } from './node-id.js';
import { InputError, OptionError } from '../util/errors.js';
import type {
  ComponentEdgeAttributes, ComponentGraph, ComponentGraphAttributes, ComponentNodeAttributes,
  NegativePolicy, Normalization, PruneSpec,
} from './types.js';

export interface BuildOptions {
  /** Keep (default) or drop the LOGITS sink node. */
  logits?: 'keep' | 'drop';
  /** Negative weights: 'error' (default) refuses them, 'abs' keeps |w|, 'drop' removes the edge. */
  negative?: NegativePolicy;
  normalize?: Normalization;
  prune?: PruneSpec | null;
}

export interface RawEdge {
  source: string;
  target: string;
  weight: number;
}

/** Builds the graph from validated nodes and edges; `source` names the input in errors. */
export function buildComponentGraph(
  nodes: readonly string[],
  edges: readonly RawEdge[],
  options: BuildOptions,
  source: string,
): ComponentGraph {
  const settings = resolveBuildOptions(options);
  const keepNode = (id: string): boolean => settings.logits === 'keep' || id !== LOGITS_ID;
  const keptNodes = nodes.filter(keepNode);

  let kept = edges.filter((e) => keepNode(e.source) && keepNode(e.target));
  const negatives = kept.filter((e) => e.weight < 0);
  if (negatives.length > 0 && settings.negative === 'error') {
    const worst = negatives.reduce((a, b) => (b.weight < a.weight ? b : a));
    throw new InputError(source, `${negatives.length} negative edge weight(s) (most negative ${worst.weight} on ` +
      `${worst.source} -> ${worst.target}); choose how to treat them: negative 'abs' or 'drop' (CLI: --negative abs|drop)`);
  }
  if (settings.negative === 'abs') kept = kept.map((e) => ({ ...e, weight: Math.abs(e.weight) }));
  kept = kept.filter((e) => e.weight > 0);

  const beforePrune = kept.length;
  if (settings.prune) kept = pruneEdges(kept, keptNodes, settings.prune);

  const normalizer = normalizerOf(kept, settings.normalize);
  const weightOf = scaledWeight(kept, settings.normalize, normalizer);
  checkWeightRange(kept, weightOf, settings.normalize, source);

  const attributes: ComponentGraphAttributes = {
    source,
    logits: settings.logits,
    negative: settings.negative,
    negativeCount: negatives.length,
    prune: settings.prune,
    prunedCount: beforePrune - kept.length,
    normalize: settings.normalize,
    normalizer,
  };
  const graph: ComponentGraph = new DirectedGraph<ComponentNodeAttributes, ComponentEdgeAttributes, ComponentGraphAttributes>();
  graph.replaceAttributes(attributes);
  for (const id of keptNodes) graph.addNode(id, nodeAttributesOf(id));
  if (keptNodes.some(isPrototypeKey)) nullPrototypeIndices(graph);
  // Named edges (`source->target`): graphology's generated keys are random, and they end up in
  // GEXF / GraphML exports, which must not change from run to run.
  for (const e of kept) graph.addEdgeWithKey(edgeKey(e.source, e.target), e.source, e.target, { weight: weightOf(e.weight) });
  return graph;
}

/**
 * The key of the edge source → target: `source->target`, with `\` and `>` escaped in the ids
 * (`\\`, `\>`), so that ids which contain `->` cannot collide (`a->b` → `c` and `a` → `b->c`
 * would both be `a->b->c`). Component ids contain neither, so their keys read as before.
 */
export function edgeKey(source: string, target: string): string {
  const escape = (id: string): string => id.replace(/\\/g, '\\\\').replace(/>/g, '\\>');
  return `${escape(source)}->${escape(target)}`;
}

/**
 * graphology 0.26 indexes each node's neighbours in plain objects ({}), so a neighbour named
 * `constructor` or `toString` is found on Object.prototype ("edge already exists") and one named
 * `__proto__` replaces the index's prototype. Node ids are free-form in edge lists, so every
 * node's indices get a null prototype before any edge is added, when some id collides (only
 * then: graphology's hasEdge calls the index's hasOwnProperty, which cntlens never uses but
 * other code may; the graph libraries get a relabelled copy anyway, library-ids.ts). This reaches
 * into graphology's internal node map (`_nodes`, of the exact version in package.json); a
 * graphology without it fails here, and in the tests, rather than silently mis-indexing.
 */
function nullPrototypeIndices(graph: ComponentGraph): void {
  const nodes = (graph as unknown as { _nodes?: unknown })._nodes;
  if (!(nodes instanceof Map)) throw new Error('graphology internals changed: no _nodes map to give null-prototype neighbour indices');
  for (const data of nodes.values() as IterableIterator<Record<string, unknown>>) {
    for (const index of ['in', 'out', 'undirected']) {
      if (index in data) data[index] = Object.create(null);
    }
  }
}

interface ResolvedBuildOptions {
  logits: 'keep' | 'drop';
  negative: NegativePolicy;
  normalize: Normalization;
  prune: PruneSpec | null;
}

export function resolveBuildOptions(options: BuildOptions): ResolvedBuildOptions {
  const logits = options.logits ?? DEFAULTS.build.logits;
  const negative = options.negative ?? DEFAULTS.build.negative;
  const normalize = options.normalize ?? DEFAULTS.build.normalize;
  const prune = options.prune ?? DEFAULTS.build.prune;
  if (logits !== 'keep' && logits !== 'drop') throw new OptionError('logits', `expected keep or drop, got ${String(logits)}`);
  if (!['error', 'abs', 'drop'].includes(negative)) {
    throw new OptionError('negative', `expected error, abs or drop, got ${String(negative)}`);
  }
  if (!['none', 'max', 'sum'].includes(normalize)) {
    throw new OptionError('normalize', `expected none, max or sum, got ${String(normalize)}`);
  }
  if (prune) validatePrune(prune);
  return { logits, negative, normalize, prune };
}

function validatePrune(prune: PruneSpec): void {
  switch (prune.kind) {
    case 'threshold':
      if (!(Number.isFinite(prune.value) && prune.value >= 0)) {
        throw new OptionError('prune threshold', `expected a finite number >= 0, got ${prune.value}`);
      }
      return;
    case 'percentile':
      if (!(Number.isFinite(prune.value) && prune.value >= 0 && prune.value <= 100)) {
        throw new OptionError('prune percentile', `expected a number in [0, 100], got ${prune.value}`);
      }
      return;
    case 'top-k':
      if (!(Number.isInteger(prune.k) && prune.k >= 1)) {
        throw new OptionError('prune top-k', `expected an integer >= 1, got ${prune.k}`);
      }
      if (prune.direction !== 'out' && prune.direction !== 'in') {
        throw new OptionError('prune top-k direction', `expected out or in, got ${String(prune.direction)}`);
      }
      return;
    default:
      throw new OptionError('prune', `unknown kind ${String((prune as { kind: unknown }).kind)}`);
  }
}

/** Edges that survive the pruning rule, in their original order. */
export function pruneEdges(edges: readonly RawEdge[], nodes: readonly string[], prune: PruneSpec): RawEdge[] {
  switch (prune.kind) {
    case 'threshold':
      return edges.filter((e) => e.weight >= prune.value);
    case 'percentile': {
      if (edges.length === 0) return [];
      const cut = percentile(edges.map((e) => e.weight), prune.value);
      return edges.filter((e) => e.weight >= cut);
    }
    case 'top-k': {
      const end = prune.direction === 'out' ? 'source' : 'target';
      const other = prune.direction === 'out' ? 'target' : 'source';
      const order = new Map(nodes.map((id, i) => [id, i]));
      const byNode = new Map<string, RawEdge[]>();
      for (const e of edges) {
        const list = byNode.get(e[end]) ?? [];
        list.push(e);
        byNode.set(e[end], list);
      }
      const keep = new Set<RawEdge>();
      for (const list of byNode.values()) {
        // Heaviest first; equal weights keep the node order of the other end, so the choice is stable.
        const ranked = [...list].sort((a, b) => b.weight - a.weight || order.get(a[other])! - order.get(b[other])!);
        for (const e of ranked.slice(0, prune.k)) keep.add(e);
      }
      return edges.filter((e) => keep.has(e));
    }
  }
}

/** The q-th percentile (0..100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The largest total edge weight the metrics are computed for. They square and cube weights and
 * their sums (modularity m², strength assortativity, skewness), which overflows double precision
 * (1.8e308) from about 1e102 on: the metric would come out null, or a share 0, with no word why.
 */
export const MAX_TOTAL_WEIGHT = 1e100;

/**
 * Each edge's final weight: w / normalizer. When the plain sum overflows (`sum` normalisation of
 * weights near 1e308), the weights are divided by the largest first, so the shares stay right.
 */
function scaledWeight(edges: readonly RawEdge[], normalize: Normalization, normalizer: number): (w: number) => number {
  if (normalize !== 'sum' || Number.isFinite(normalizer) || edges.length === 0) return (w) => w / normalizer;
  const max = edges.reduce((m, e) => Math.max(m, e.weight), 0);
  const scaledSum = edges.reduce((s, e) => s + e.weight / max, 0);
  return (w) => w / max / scaledSum;
}

/** Refuse weights whose total the metrics cannot handle (MAX_TOTAL_WEIGHT), naming the input. */
function checkWeightRange(edges: readonly RawEdge[], weightOf: (w: number) => number, normalize: Normalization, source: string): void {
  let total = 0;
  let largest = 0;
  for (const e of edges) {
    const w = weightOf(e.weight);
    total += w;
    largest = Math.max(largest, w);
  }
  if (total <= MAX_TOTAL_WEIGHT) return;
  throw new InputError(source, `the edge weights sum to ${Number.isFinite(total) ? total.toPrecision(3) : 'more than 1.8e308 (overflow)'} (largest ${largest.toPrecision(3)}) with normalize '${normalize}': ` +
    `the metrics square and cube weights and their sums, which overflows double precision beyond a total of ${MAX_TOTAL_WEIGHT}; rescale the weights (CLI: --normalize max or sum)`);
}

function normalizerOf(edges: readonly RawEdge[], normalize: Normalization): number {
  if (normalize === 'none' || edges.length === 0) return 1;
  if (normalize === 'max') return edges.reduce((m, e) => Math.max(m, e.weight), 0);
  return edges.reduce((s, e) => s + e.weight, 0);
}
