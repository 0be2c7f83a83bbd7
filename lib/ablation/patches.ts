/**
 * Where an ablation goes in the forward pass. A head's output is its residual contribution
 * (`blocks.{l}.attn.hook_result`, [b, p, H, d], slice h); an MLP's is `blocks.{l}.hook_mlp_out`
 * ([b, p, d], bias included). Replacing hook_result's slice h with zeros is the same as zeroing
 * z_h before W_O with the dense bias kept (the fixtures' convention), because the model adds the
 * bias to the sum of the per-head results.
 *
 * Stacked passes: the batch holds K slots of B prompts (row k·B + b), and slot k ablates its own
 * components. One patch per hook selects, per slot (and head), the replacement or the clean value
 * with broadcast 0/1 masks, so K ablations cost one pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { NeoXConfig, Patch } from '../model/types.js';
import type { ComponentNode } from './nodes.js';

export interface SlotPatchSpec {
  config: NeoXConfig;
  /** Prompts per slot (B) and sequence length (T). */
  batch: number;
  seqLen: number;
  /** slots[k]: the components ablated in rows k·B … k·B + B − 1 (heads and MLPs, any layers). */
  slots: ComponentNode[][];
  /** The replacement of a component's output, [B, T, d]; ownership passes to the caller of ablationPatches. */
  replacement: (node: ComponentNode) => tf.Tensor3D;
}

/** Hook whose value a component's ablation replaces. */
export function ablationHook(node: ComponentNode): string {
  if (node.kind === 'head') return `blocks.${node.layer}.attn.hook_result`;
  if (node.kind === 'mlp') return `blocks.${node.layer}.hook_mlp_out`;
  throw new Error(`${node.name} cannot be ablated`);
}

/**
 * x·keep + values·select with 0/1 masks, all broadcast: exactly x where keep = 1 and exactly the
 * replacement where select = 1 (x·1 = x, r·0 = 0, x + 0 = x for finite values). Measured about
 * 50× faster than tf.where on the wasm backend, which materialises every broadcast operand.
 */
function select01(x: tf.Tensor, keep: tf.Tensor, values: tf.Tensor, select: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, keep), tf.mul(values, select)));
}

/** The patches for a stacked pass, and the tensors they hold (dispose them after the pass). */
export function ablationPatches(spec: SlotPatchSpec): { patches: Patch[]; owned: tf.Tensor[] } {
  const { batch: B, seqLen: T, slots } = spec;
  const { hiddenSize: d, numHeads: H } = spec.config;
  const K = slots.length;
  const patches: Patch[] = [];
  const owned: tf.Tensor[] = [];
  const hooks = new Map<string, ComponentNode[]>();
  for (const slot of slots) {
    for (const node of slot) hooks.set(ablationHook(node), [...(hooks.get(ablationHook(node)) ?? []), node]);
  }
  const ordered = [...hooks.keys()].sort((a, b) => hooks.get(a)![0].index - hooks.get(b)![0].index);
  try {
    for (const hook of ordered) {
      const sample = hooks.get(hook)![0];
      if (sample.kind === 'mlp') {
        const chosen = slots.map((slot) => slot.find((n) => n.kind === 'mlp' && n.layer === sample.layer) ?? null);
        const reps = chosen.map((n) => (n ? spec.replacement(n) : null));
        const select = tf.tensor(chosen.map((n) => (n ? 1 : 0)), [K, 1, 1, 1]);
        const keep = tf.tidy(() => tf.sub(1, select));
        const values = tf.tidy(() => tf.stack(reps.map((r) => r ?? tf.zeros([B, T, d])))); // [K, B, T, d]
        tf.dispose(reps.filter((r): r is tf.Tensor3D => r !== null));
        owned.push(select, keep, values);
        patches.push({ hook, value: (x) => select01(x.reshape([K, B, T, d]), keep, values, select).reshape(x.shape) });
        continue;
      }
      const headsPerSlot = slots.map((slot) => slot.filter((n) => n.kind === 'head' && n.layer === sample.layer));
      const mask = new Uint8Array(K * H);
      headsPerSlot.forEach((heads, k) => heads.forEach((n) => { mask[k * H + n.head!] = 1; }));
      const select = tf.tensor(Float32Array.from(mask), [K, 1, 1, H, 1]);
      const keep = tf.tidy(() => tf.sub(1, select));
      owned.push(select, keep);
      // One head per slot (the sweep): values [K, B, T, 1, d] broadcast over heads; else [K, B, T, H, d].
      const compact = headsPerSlot.every((heads) => heads.length <= 1);
      const values = tf.tidy(() => tf.stack(headsPerSlot.map((heads) => {
        if (compact) {
          const rep = heads.length ? spec.replacement(heads[0]) : tf.zeros([B, T, d]);
          return rep.reshape([B, T, 1, d]); //                                                     [B, T, 1, d]
        }
        const perHead = Array.from({ length: H }, (_, h) => {
          const node = heads.find((n) => n.head === h);
          return node ? spec.replacement(node) : tf.zeros([B, T, d]);
        });
        return tf.stack(perHead, 2); //                                                          [B, T, H, d]
      })));
      owned.push(values);
      patches.push({ hook, value: (x) => select01(x.reshape([K, B, T, H, d]), keep, values, select).reshape(x.shape) });
    }
  } catch (err) {
    tf.dispose(owned);
    throw err;
  }
  return { patches, owned };
}
