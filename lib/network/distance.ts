/**
 * Edge lengths for path-based metrics. An influence weight is a strength, so a strong edge must be
 * a short one:
 * - 'inverse' (default): length = 1 / w (networkx users' usual `distance=1/weight`);
 * - 'neglog': length = −ln(w / w_max), so path length adds where influences multiply (a path's
 *   length is −ln of the product of its max-normalised weights); the strongest edge has length 0.
 */
import { OptionError } from '../util/errors.js';
import type { ComponentGraph, DistanceKind } from './types.js';

export function edgeLength(graph: ComponentGraph, kind: DistanceKind): (weight: number) => number {
  if (kind === 'inverse') return (w) => 1 / w;
  if (kind === 'neglog') {
    let max = 0;
    graph.forEachEdge((_edge, attributes) => {
      max = Math.max(max, attributes.weight);
    });
    // max(0, ·) turns the −0 of the heaviest edge (and rounding below 0) into a plain 0.
    return (w) => Math.max(0, -Math.log(w / max));
  }
  throw new OptionError('distance', `expected inverse or neglog, got ${String(kind)}`);
}
