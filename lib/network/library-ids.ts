/**
 * Node ids are free-form in edge lists, and an id such as `__proto__`, `constructor` or
 * `toString` is also a property of every plain JavaScript object. cntlens keeps per-node values
 * in null-prototype records (`nodeRecord`), where any id is just a key. The graph libraries it
 * calls (graphology-metrics, graphology-communities-louvain) collect theirs in plain objects, so
 * they are given, when some id collides, a copy of the graph with the ids n0, n1, … (same nodes,
 * edges and order, hence the same results) and their answers are mapped back to the real ids.
 */
import { DirectedGraph } from 'graphology';
import type { ComponentEdgeAttributes, ComponentGraph, ComponentGraphAttributes, ComponentNodeAttributes } from './types.js';

/** A record keyed by node id that no id can break (no prototype: `__proto__` is an ordinary key). */
export function nodeRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Whether a plain object already has (or would mishandle) a key named `id`. */
export function isPrototypeKey(id: string): boolean {
  return id === '__proto__' || id in Object.prototype;
}

export interface LibraryGraph {
  /** The graph to hand to a library: the graph itself, or its relabelled copy. */
  graph: ComponentGraph;
  /** The real id of a node the library names. */
  realId(libraryId: string): string;
  /** A library's per-node result, keyed by the real ids, in a null-prototype record. */
  nodeValues<T>(values: Record<string, T>): Record<string, T>;
}

const relabelled = new WeakMap<ComponentGraph, LibraryGraph>();

/** The graph as third-party libraries should see it (see the module comment). */
export function libraryGraph(graph: ComponentGraph): LibraryGraph {
  const cached = relabelled.get(graph);
  if (cached) return cached;
  const nodes = graph.nodes();
  let view: LibraryGraph;
  if (!nodes.some(isPrototypeKey)) {
    view = {
      graph,
      realId: (id) => id,
      nodeValues: (values) => copyInto(nodes, nodes, values),
    };
  } else {
    const ids = nodes.map((_, i) => `n${i}`);
    const toLibrary = new Map(nodes.map((id, i) => [id, ids[i]]));
    const toReal = new Map(ids.map((id, i) => [id, nodes[i]]));
    const copy: ComponentGraph = new DirectedGraph<ComponentNodeAttributes, ComponentEdgeAttributes, ComponentGraphAttributes>();
    copy.replaceAttributes({ ...graph.getAttributes() });
    graph.forEachNode((node, attributes) => copy.addNode(toLibrary.get(node)!, { ...attributes }));
    graph.forEachEdge((_edge, attributes, source, target) => {
      const s = toLibrary.get(source)!;
      const t = toLibrary.get(target)!;
      copy.addEdgeWithKey(`${s}->${t}`, s, t, { ...attributes });
    });
    view = {
      graph: copy,
      realId: (id) => toReal.get(id) ?? id,
      nodeValues: (values) => copyInto(ids, nodes, values),
    };
  }
  relabelled.set(graph, view);
  return view;
}

function copyInto<T>(from: readonly string[], to: readonly string[], values: Record<string, T>): Record<string, T> {
  const out = nodeRecord<T>();
  for (let i = 0; i < from.length; i++) if (Object.prototype.hasOwnProperty.call(values, from[i])) out[to[i]] = values[from[i]];
  return out;
}
