/**
 * Graph from the influence matrix that `cntlens influence` writes:
 * `{ nodes, matrix, ci_low?, ci_high?, delta_loss?, clean_loss?, settings? }` with
 * `matrix[i][j]` = influence of source nodes[i] on target nodes[j] (n×n, LOGITS row of zeros).
 */
import { buildComponentGraph, type BuildOptions, type RawEdge } from './build.js';
import { parseComponentId } from './node-id.js';
import { InputError, preview } from '../util/errors.js';
import type { ComponentGraph } from './types.js';

/** The part of an influence file that the graph needs (other fields pass through unread). */
export interface InfluenceJson {
  nodes: string[];
  matrix: number[][];
  ci_low?: number[][];
  ci_high?: number[][];
}

/**
 * Validates `json` as an influence file and builds its graph. `source` (a file name) is named in
 * every InputError. A zero entry is no edge; the diagonal must be zero (no self-influence).
 */
export function graphFromInfluence(json: unknown, options: BuildOptions = {}, source = 'influence'): ComponentGraph {
  const influence = validateInfluence(json, source);
  const { nodes, matrix } = influence;
  const edges: RawEdge[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = 0; j < nodes.length; j++) {
      const weight = matrix[i][j];
      if (i === j || weight === 0) continue;
      edges.push({ source: nodes[i], target: nodes[j], weight });
    }
  }
  return buildComponentGraph(nodes, edges, options, source);
}

export function validateInfluence(json: unknown, source: string): InfluenceJson {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(source, 'expected an influence object {nodes, matrix, ...}');
  }
  const record = json as Record<string, unknown>;
  const nodes = validateNodeIds(record.nodes, source);
  const matrix = validateSquare(record.matrix, 'matrix', nodes.length, source);
  for (let i = 0; i < nodes.length; i++) {
    if (matrix[i][i] !== 0) {
      throw new InputError(source, `matrix[${i}][${i}] (${nodes[i]} on itself) is ${matrix[i][i]}, expected 0 (no self-influence)`);
    }
  }
  const result: InfluenceJson = { nodes, matrix };
  for (const key of ['ci_low', 'ci_high'] as const) {
    if (record[key] !== undefined) result[key] = validateSquare(record[key], key, nodes.length, source);
  }
  return result;
}

function validateNodeIds(value: unknown, source: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InputError(source, '"nodes" must be a non-empty array of node ids');
  }
  const seen = new Set<string>();
  for (const [i, id] of value.entries()) {
    if (typeof id !== 'string' || parseComponentId(id) === null) {
      throw new InputError(source, `nodes[${i}] = ${preview(id)} is not a component id (L{l}H{h}, L{l}MLP or LOGITS)`);
    }
    if (seen.has(id)) throw new InputError(source, `node ${id} is listed twice`);
    seen.add(id);
  }
  return value as string[];
}

function validateSquare(value: unknown, key: string, n: number, source: string): number[][] {
  if (!Array.isArray(value)) throw new InputError(source, `"${key}" must be an array of ${n} rows`);
  if (value.length !== n) {
    throw new InputError(source, `"${key}" has ${value.length} rows but there are ${n} nodes (expected a square ${n}×${n} matrix)`);
  }
  for (const [i, row] of value.entries()) {
    if (!Array.isArray(row) || row.length !== n) {
      const got = Array.isArray(row) ? `${row.length} entries` : typeof row;
      throw new InputError(source, `"${key}" row ${i} has ${got}, expected ${n} (a square ${n}×${n} matrix)`);
    }
    for (const [j, x] of row.entries()) {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new InputError(source, `${key}[${i}][${j}] is ${preview(x)}, expected a finite number (NaN/null weights are not allowed)`);
      }
    }
  }
  return value as number[][];
}
