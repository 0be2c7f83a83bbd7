/**
 * Component roles: spreaders (top-k by out-strength), gatherers (top-k by in-strength),
 * gatekeepers (top-k by betweenness). Only component nodes are ranked — the LOGITS sink is no
 * component (with it kept it would always top the gatherers) — and a node whose value is 0 has
 * no such role, so a list can be shorter than k. Ties keep graph node order.
 */
import { betweenness as computeBetweenness } from './betweenness.js';
import { DEFAULTS } from './defaults.js';
import { strength } from './strength.js';
import { OptionError } from '../util/errors.js';
import type { ComponentGraph, DistanceKind, NodeValues } from './types.js';

export interface RolesOptions {
  k?: number;
  distance?: DistanceKind;
  /** Already computed values, to skip recomputing them. */
  outStrength?: NodeValues;
  inStrength?: NodeValues;
  betweenness?: NodeValues;
}

export interface Roles {
  spreaders: string[];
  gatherers: string[];
  gatekeepers: string[];
}

export function roles(graph: ComponentGraph, options: RolesOptions = {}): Roles {
  const k = options.k ?? DEFAULTS.roles.k;
  if (!(Number.isInteger(k) && k >= 1)) throw new OptionError('roles k', `expected an integer >= 1, got ${k}`);
  const eligible = graph.filterNodes((_node, attributes) => attributes.kind !== 'logits');
  const outStrength = options.outStrength ?? strength(graph, { direction: 'out' });
  const inStrength = options.inStrength ?? strength(graph, { direction: 'in' });
  const between = options.betweenness ?? computeBetweenness(graph, { distance: options.distance });
  return {
    spreaders: topK(eligible, outStrength, k),
    gatherers: topK(eligible, inStrength, k),
    gatekeepers: topK(eligible, between, k),
  };
}

/** The k nodes with the largest positive values, largest first; ties in `nodes` order. */
export function topK(nodes: readonly string[], values: NodeValues, k: number): string[] {
  return nodes
    .map((node, order) => ({ node, order, value: values[node] }))
    .filter((entry) => entry.value > 0)
    .sort((a, b) => b.value - a.value || a.order - b.order)
    .slice(0, k)
    .map((entry) => entry.node);
}
