/**
 * Structural null models of an influence graph.
 *
 * The influence graph of a transformer is a layered DAG: a component can only influence
 * components computed after it (lib/ablation/nodes.ts `canInfluence`). An early component
 * therefore has many more possible out-edges than a late one, and a late one more possible
 * in-edges, so raw strengths rank layer-0 components as the top spreaders and late ones as the
 * top gatherers whatever the model learned. A null model keeps that allowed-edge set (and so
 * every node's possible in/out degree) and places the observed weights on it at random; a node
 * statistic is then read against its distribution over null draws (role-z.ts).
 *
 * Here every allowed edge exists in the DAG, so there is no topology to rewire: the randomisation
 * is of weights over a fixed edge set, in the spirit of the degree-preserving edge swaps of
 * Maslov & Sneppen (Science 296, 910, 2002), which keep what is structural (there: degrees; here:
 * the allowed edges) and destroy the rest.
 *   - 'all': one permutation of the weights over all allowed edges. Keeps the allowed-edge set and
 *     the multiset of weights, so a node's expected strength is its number of possible edges times
 *     the mean weight.
 *   - 'block': a permutation within each block of allowed edges that share (source layer, target
 *     layer, source kind, target kind). Also keeps each block's multiset of weights, hence the
 *     total influence from layer l's heads to layer l''s MLP and so on: a node is compared with its
 *     peers of the same kind and layer only.
 */
import { canInfluence, type ComponentNode } from '../ablation/nodes.js';
import { parseComponentId } from './node-id.js';
import { CntlensError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** An edge of the influence matrix as [source index, target index] (row, column). */
export type AllowedEdge = [source: number, target: number];

export type NullModelKind = 'all' | 'block';
export const NULL_MODEL_KINDS: readonly NullModelKind[] = ['all', 'block'];

export interface AllowedEdgesOptions {
  /** `use_parallel_residual` of the model (true for Pythia): heads do not reach their own layer's MLP. */
  parallelResidual: boolean;
}

/**
 * The edges that can exist between `nodeIds` (matrix order), [source, target] in row-major order:
 * `canInfluence` on the parsed ids, so the rule stays in one place.
 */
export function allowedEdges(nodeIds: readonly string[], options: AllowedEdgesOptions): AllowedEdge[] {
  if (typeof options?.parallelResidual !== 'boolean') {
    // An absent flag would silently mean the sequential residual (a different edge set).
    throw new CntlensError(`allowedEdges: options.parallelResidual must be true or false, got ${String(options?.parallelResidual)}`);
  }
  const nodes = componentNodesOf(nodeIds, 'allowedEdges');
  const edges: AllowedEdge[] = [];
  for (const source of nodes) {
    for (const target of nodes) {
      if (canInfluence(source, target, options.parallelResidual)) edges.push([source.index, target.index]);
    }
  }
  return edges;
}

/**
 * One null draw: `matrix` with its weights on the allowed edges permuted ('all': over all of them;
 * 'block': within each (source layer, target layer, source kind, target kind) block, which needs
 * `nodeIds`). Every other entry is exactly 0, as it must already be in `matrix`. Signed weights are
 * moved as they are. Consumes `rng`; the same rng state gives the same draw.
 */
export function nullModel(
  matrix: readonly (readonly number[])[],
  allowed: readonly AllowedEdge[],
  kind: NullModelKind,
  rng: Rng,
  nodeIds?: readonly string[],
): number[][] {
  const edges = edgeArrays('nullModel', matrix, allowed, nodeIds);
  const groups = edgeGroups('nullModel', kind, edges, nodeIds);
  const weights = Float64Array.from(edges.weights);
  permuteWithinGroups(weights, groups, rng);
  const result = Array.from({ length: edges.n }, () => new Array<number>(edges.n).fill(0));
  for (let e = 0; e < weights.length; e++) result[edges.source[e]][edges.target[e]] = weights[e];
  return result;
}

/** Strength per possible edge of one node; null when the node has no possible edge that way. */
export interface LayerNormalisedStrength {
  /** In-strength / number of allowed in-edges, per node in matrix order. */
  in: (number | null)[];
  /** Out-strength / number of allowed out-edges, per node in matrix order. */
  out: (number | null)[];
  /** Number of allowed in-edges of each node. */
  possibleIn: number[];
  /** Number of allowed out-edges of each node. */
  possibleOut: number[];
}

/**
 * In- and out-strength (Σ|w|) divided by the number of allowed in / out edges: the mean weight per
 * possible edge, which removes the DAG's count advantage of early spreaders and late gatherers
 * without any random draw (it is the strength over its expectation under 'all', up to the global
 * mean weight).
 */
export function layerNormalisedStrength(
  matrix: readonly (readonly number[])[],
  allowed: readonly AllowedEdge[],
): LayerNormalisedStrength {
  const edges = edgeArrays('layerNormalisedStrength', matrix, allowed);
  const inSum = new Array<number>(edges.n).fill(0);
  const outSum = new Array<number>(edges.n).fill(0);
  const possibleIn = new Array<number>(edges.n).fill(0);
  const possibleOut = new Array<number>(edges.n).fill(0);
  for (let e = 0; e < edges.weights.length; e++) {
    const w = Math.abs(edges.weights[e]);
    outSum[edges.source[e]] += w;
    inSum[edges.target[e]] += w;
    possibleOut[edges.source[e]]++;
    possibleIn[edges.target[e]]++;
  }
  const perEdge = (sum: number, count: number): number | null => (count === 0 ? null : sum / count);
  return {
    in: inSum.map((s, i) => perEdge(s, possibleIn[i])),
    out: outSum.map((s, i) => perEdge(s, possibleOut[i])),
    possibleIn,
    possibleOut,
  };
}

// ---------------------------------------------------------------------------------------------
// Shared with role-z.ts (not part of the lib/network index).

/** A validated matrix read on its allowed edges: edge e is source[e] → target[e], weight weights[e]. */
export interface EdgeArrays {
  n: number;
  source: Int32Array;
  target: Int32Array;
  weights: Float64Array;
}

/**
 * Checks `matrix` (square, finite), `allowed` (in range, no repeats) and `nodeIds` (when given,
 * one per row), and that every entry outside `allowed` is 0: a non-zero there is an influence the
 * DAG says cannot exist (a wrong residual flag or node order), which a null model would silently
 * drop. `fn` names the caller in errors.
 */
export function edgeArrays(
  fn: string,
  matrix: readonly (readonly number[])[],
  allowed: readonly AllowedEdge[],
  nodeIds?: readonly string[],
): EdgeArrays {
  if (!Array.isArray(matrix)) throw new CntlensError(`${fn}: matrix must be an array of rows`);
  const n = matrix.length;
  for (const [i, row] of matrix.entries()) {
    if (!Array.isArray(row) || row.length !== n) {
      throw new CntlensError(`${fn}: matrix row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, expected ${n} (a square matrix)`);
    }
    for (const [j, x] of row.entries()) {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new CntlensError(`${fn}: matrix[${i}][${j}] is ${JSON.stringify(x)}, expected a finite number`);
      }
    }
  }
  if (nodeIds !== undefined && nodeIds.length !== n) {
    throw new CntlensError(`${fn}: ${nodeIds.length} node ids for a ${n}×${n} matrix`);
  }
  const isAllowed = new Uint8Array(n * n);
  const source = new Int32Array(allowed.length);
  const target = new Int32Array(allowed.length);
  const weights = new Float64Array(allowed.length);
  for (const [e, pair] of allowed.entries()) {
    const [s, t] = Array.isArray(pair) ? pair : [NaN, NaN];
    if (!(Number.isInteger(s) && Number.isInteger(t) && s >= 0 && s < n && t >= 0 && t < n)) {
      throw new CntlensError(`${fn}: allowed[${e}] = ${JSON.stringify(pair)} is not a [source, target] pair of indices below ${n}`);
    }
    if (isAllowed[s * n + t]) throw new CntlensError(`${fn}: allowed edge [${s}, ${t}] is listed twice`);
    isAllowed[s * n + t] = 1;
    source[e] = s;
    target[e] = t;
    weights[e] = matrix[s][t];
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!isAllowed[i * n + j] && matrix[i][j] !== 0) {
        const names = nodeIds ? ` (${nodeIds[i]} → ${nodeIds[j]})` : '';
        throw new CntlensError(`${fn}: matrix[${i}][${j}]${names} is ${matrix[i][j]} but that edge is not allowed; ` +
          'entries outside the allowed-edge set must be 0 (check the node order and the parallelResidual flag)');
      }
    }
  }
  return { n, source, target, weights };
}

/**
 * The edge positions that a null model permutes among, as groups: one group of all edges for
 * 'all'; one per (source layer, target layer, source kind, target kind) for 'block', in order of
 * first appearance so that the rng is consumed the same way on every platform.
 */
export function edgeGroups(fn: string, kind: NullModelKind, edges: EdgeArrays, nodeIds?: readonly string[]): Int32Array[] {
  if (kind === 'all') return [Int32Array.from({ length: edges.weights.length }, (_v, e) => e)];
  if (kind !== 'block') throw new CntlensError(`${fn}: kind must be 'all' or 'block', got ${JSON.stringify(kind)}`);
  if (nodeIds === undefined) throw new CntlensError(`${fn}: kind 'block' needs the node ids (the blocks are layer and kind pairs)`);
  const nodes = componentNodesOf(nodeIds, fn);
  const blocks = new Map<string, number[]>();
  for (let e = 0; e < edges.weights.length; e++) {
    const s = nodes[edges.source[e]];
    const t = nodes[edges.target[e]];
    const key = `${s.layer}|${t.layer}|${s.kind}|${t.kind}`;
    const block = blocks.get(key);
    if (block) block.push(e);
    else blocks.set(key, [e]);
  }
  return [...blocks.values()].map((block) => Int32Array.from(block));
}

/**
 * Uniform random permutation of the values at each group's positions (Fisher–Yates, the same
 * draws as Rng.shuffle), in place.
 */
export function permuteWithinGroups(weights: Float64Array, groups: readonly Int32Array[], rng: Rng): void {
  for (const group of groups) {
    for (let i = group.length - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      const a = group[i];
      const b = group[j];
      const w = weights[a];
      weights[a] = weights[b];
      weights[b] = w;
    }
  }
}

/**
 * The ids as lib/ablation ComponentNodes (index = position), so `canInfluence` can judge them.
 * LOGITS gets a layer above every parsed layer: only the order of layers matters to the rule.
 */
export function componentNodesOf(nodeIds: readonly string[], fn: string): ComponentNode[] {
  if (!Array.isArray(nodeIds)) throw new CntlensError(`${fn}: node ids must be an array of strings`);
  const parsed = nodeIds.map((id, i) => {
    const attributes = typeof id === 'string' ? parseComponentId(id) : null;
    if (!attributes || attributes.kind === 'other') {
      throw new CntlensError(`${fn}: node id ${JSON.stringify(id)} (position ${i}) is not a component id (L{l}H{h}, L{l}MLP or LOGITS)`);
    }
    return attributes;
  });
  const seen = new Set<string>();
  for (const id of nodeIds) {
    if (seen.has(id)) throw new CntlensError(`${fn}: node id ${id} is listed twice`);
    seen.add(id);
  }
  const logitsLayer = 1 + Math.max(-1, ...parsed.map((a) => a.layer ?? -1));
  return parsed.map((a, index) => {
    const kind = a.kind as ComponentNode['kind'];
    return { name: nodeIds[index], kind, layer: a.layer ?? logitsLayer, head: a.head, index };
  });
}
