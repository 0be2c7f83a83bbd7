/**
 * The nodes of an influence graph and which of them can influence which.
 *
 * Nodes, in this order: for each layer l the heads `L{l}H0 … L{l}H{H-1}`, then `L{l}MLP`; last
 * the sink `LOGITS`. A source can only change a target computed after it from the residual
 * stream it wrote to: every node of a later layer, and LOGITS. With the sequential residual
 * (`use_parallel_residual: false`) a layer's MLP reads the residual after that layer's attention,
 * so a head also reaches the MLP of its own layer. With the parallel residual (Pythia) the heads
 * and the MLP of a layer read the same input and cannot see each other.
 */
import { OptionError } from '../util/errors.js';

export type NodeKind = 'head' | 'mlp' | 'logits';

export interface ComponentNode {
  /** `L{l}H{h}`, `L{l}MLP` or `LOGITS`. */
  name: string;
  kind: NodeKind;
  /** Layer index; `numLayers` for LOGITS. */
  layer: number;
  /** Head index for heads, null otherwise. */
  head: number | null;
  /** Position in the node list (row/column of the influence matrix). */
  index: number;
}

export const LOGITS_NODE = 'LOGITS';

export function headName(layer: number, head: number): string {
  return `L${layer}H${head}`;
}

export function mlpName(layer: number): string {
  return `L${layer}MLP`;
}

/** All nodes of a model with `numLayers` layers of `numHeads` heads, in matrix order. */
export function componentNodes(numLayers: number, numHeads: number): ComponentNode[] {
  const nodes: ComponentNode[] = [];
  for (let layer = 0; layer < numLayers; layer++) {
    for (let head = 0; head < numHeads; head++) {
      nodes.push({ name: headName(layer, head), kind: 'head', layer, head, index: nodes.length });
    }
    nodes.push({ name: mlpName(layer), kind: 'mlp', layer, head: null, index: nodes.length });
  }
  nodes.push({ name: LOGITS_NODE, kind: 'logits', layer: numLayers, head: null, index: nodes.length });
  return nodes;
}

/**
 * True when ablating `source` can change `target`: a later layer or LOGITS; with the sequential
 * residual also the MLP of the source head's own layer. LOGITS is never a source.
 */
export function canInfluence(source: ComponentNode, target: ComponentNode, parallelResidual: boolean): boolean {
  if (source.kind === 'logits') return false;
  if (target.layer > source.layer) return true;
  return !parallelResidual && source.kind === 'head' && target.kind === 'mlp' && target.layer === source.layer;
}

/** The targets a source can influence, in node order. */
export function downstreamOf(source: ComponentNode, nodes: ComponentNode[], parallelResidual: boolean): ComponentNode[] {
  return nodes.filter((target) => canInfluence(source, target, parallelResidual));
}

/** Parse `L{l}H{h}` / `L{l}MLP` / `LOGITS` for a model of the given shape; `option` names the source of the text. */
export function parseNodeName(name: string, numLayers: number, numHeads: number, option = 'node'): ComponentNode {
  const nodes = componentNodes(numLayers, numHeads);
  const found = nodes.find((n) => n.name === name);
  if (!found) {
    throw new OptionError(option, `unknown component "${name}" (expected L{l}H{h} with l < ${numLayers}, h < ${numHeads}, L{l}MLP or ${LOGITS_NODE})`);
  }
  return found;
}
