/**
 * Graph from an edge list `{"nodes": [id…], "edges": [{"source", "target", "weight"}…]}` (the
 * format of test/fixtures/graphs and of the JSON export). Node ids are free-form; component ids
 * (`L{l}H{h}`, `L{l}MLP`, `LOGITS`) get their layer/head/kind attributes.
 */
import { buildComponentGraph, type BuildOptions, type RawEdge } from './build.js';
import { InputError, preview } from '../util/errors.js';
import type { ComponentGraph } from './types.js';

export interface EdgeListJson {
  nodes: string[];
  edges: RawEdge[];
}

/**
 * Validates `json` as an edge list and builds its graph. Rejected (InputError naming `source`):
 * a missing or non-array field, a duplicate node, an edge to an unknown node, a self-loop, a
 * duplicate edge, a weight that is not a finite number.
 */
export function graphFromEdgeList(json: unknown, options: BuildOptions = {}, source = 'edge list'): ComponentGraph {
  const { nodes, edges } = validateEdgeList(json, source);
  return buildComponentGraph(nodes, edges, options, source);
}

export function validateEdgeList(json: unknown, source: string): EdgeListJson {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(source, 'expected an edge list object {nodes, edges}');
  }
  const record = json as Record<string, unknown>;
  if (!Array.isArray(record.nodes)) throw new InputError(source, '"nodes" must be an array of node ids');
  if (!Array.isArray(record.edges)) throw new InputError(source, '"edges" must be an array of {source, target, weight}');
  const nodes: string[] = [];
  const known = new Set<string>();
  for (const [i, id] of record.nodes.entries()) {
    if (typeof id !== 'string' || id === '') throw new InputError(source, `nodes[${i}] must be a non-empty string, got ${preview(id)}`);
    if (known.has(id)) throw new InputError(source, `node ${id} is listed twice`);
    known.add(id);
    nodes.push(id);
  }
  const edges: RawEdge[] = [];
  const pairs = new Set<string>();
  for (const [i, raw] of record.edges.entries()) {
    if (typeof raw !== 'object' || raw === null) throw new InputError(source, `edges[${i}] must be an object {source, target, weight}`);
    const { source: from, target: to, weight } = raw as Record<string, unknown>;
    for (const [name, end] of [['source', from], ['target', to]] as const) {
      if (typeof end !== 'string' || !known.has(end)) {
        throw new InputError(source, `edges[${i}].${name} ${preview(end)} is not a node listed in "nodes"`);
      }
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw new InputError(source, `edges[${i}].weight is ${preview(weight)}, expected a finite number`);
    }
    if (from === to) throw new InputError(source, `edges[${i}] is a self-loop on ${String(from)} (not supported)`);
    const pair = JSON.stringify([from, to]);
    if (pairs.has(pair)) throw new InputError(source, `edges[${i}] repeats the edge ${String(from)} -> ${String(to)}`);
    pairs.add(pair);
    edges.push({ source: from as string, target: to as string, weight });
  }
  return { nodes, edges };
}
