/**
 * Component node ids: `L{l}H{h}` (head h of layer l), `L{l}MLP`, `LOGITS`. The same ids name
 * ablations elsewhere in cntlens, so graphs from different checkpoints line up node for node.
 */
import type { ComponentNodeAttributes } from './types.js';

const HEAD_ID = /^L(\d+)H(\d+)$/;
const MLP_ID = /^L(\d+)MLP$/;
export const LOGITS_ID = 'LOGITS';

export function headId(layer: number, head: number): string {
  return `L${layer}H${head}`;
}

export function mlpId(layer: number): string {
  return `L${layer}MLP`;
}

/** Attributes of a component id, or null when the id is not one. */
export function parseComponentId(id: string): ComponentNodeAttributes | null {
  if (id === LOGITS_ID) return { layer: null, head: null, kind: 'logits' };
  const head = HEAD_ID.exec(id);
  if (head) return { layer: Number(head[1]), head: Number(head[2]), kind: 'head' };
  const mlp = MLP_ID.exec(id);
  if (mlp) return { layer: Number(mlp[1]), head: null, kind: 'mlp' };
  return null;
}

/** Attributes of any node id: component ids are parsed, anything else is kind 'other'. */
export function nodeAttributesOf(id: string): ComponentNodeAttributes {
  return parseComponentId(id) ?? { layer: null, head: null, kind: 'other' };
}
