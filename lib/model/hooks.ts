/**
 * Hook points of the GPT-NeoX forward pass (names in the TransformerLens spirit, see types.ts)
 * and the machinery that captures and patches them during one pass.
 *
 * A hook's value is always seen in its documented layout ([b, p, ...], per-head hooks
 * [b, p, h, ...], the attention pattern [b, h, p_query, p_key]). Patches are applied in the order
 * given; a captured value is the one after this pass's patches at that hook, i.e. what the rest
 * of the model actually reads. Captured tensors are kept (tf.keep) clones owned by the caller;
 * everything else created here is tidied by the forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { HookName, NeoXConfig, Patch, RunOptions } from './types.js';
import { PER_HEAD_HOOKS } from './types.js';

/** Hook points inside block l, in the order the forward pass reaches them. */
export const BLOCK_HOOK_POINTS = [
  'hook_resid_pre',
  'ln1.hook_normalized',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_rot_q',
  'attn.hook_rot_k',
  'attn.hook_pattern',
  'attn.hook_z',
  'attn.hook_result',
  'hook_attn_out',
  'ln2.hook_normalized',
  'mlp.hook_pre',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
] as const;
export type BlockHookPoint = (typeof BLOCK_HOOK_POINTS)[number];

/** Every hook name of a model, in forward order. */
export function hookNames(config: NeoXConfig): HookName[] {
  const names: HookName[] = ['hook_embed'];
  for (let l = 0; l < config.numLayers; l++) for (const p of BLOCK_HOOK_POINTS) names.push(`blocks.${l}.${p}`);
  names.push('ln_final.hook_normalized');
  return names;
}

/** The name of hook point `point` in block `layer`. */
export function blockHook(layer: number, point: BlockHookPoint): HookName {
  return `blocks.${layer}.${point}`;
}

/** Where a hook sits and how its value is laid out. */
export interface HookInfo {
  name: HookName;
  /** Block index, or null for hook_embed / ln_final.hook_normalized. */
  layer: number | null;
  point: BlockHookPoint | 'hook_embed' | 'ln_final.hook_normalized';
  /** Axis of the value that indexes batch rows / positions (query positions for the pattern) / heads. */
  batchAxis: number;
  positionAxis: number;
  headAxis: number | null;
}

/** Full shape of a hook's value for a batch of `b` sequences of `p` tokens. */
export function hookShape(info: HookInfo, config: NeoXConfig, b: number, p: number): number[] {
  const { hiddenSize: d, numHeads: h, headSize: dh, intermediateSize: dMlp } = config;
  switch (info.point) {
    case 'attn.hook_q': case 'attn.hook_k': case 'attn.hook_v':
    case 'attn.hook_rot_q': case 'attn.hook_rot_k': case 'attn.hook_z':
      return [b, p, h, dh];
    case 'attn.hook_result': return [b, p, h, d];
    case 'attn.hook_pattern': return [b, h, p, p];
    case 'mlp.hook_pre': case 'mlp.hook_post': return [b, p, dMlp];
    default: return [b, p, d];
  }
}

/** Parse and check a hook name against the model; throws naming the hook and the problem. */
export function parseHookName(name: HookName, config: NeoXConfig): HookInfo {
  if (name === 'hook_embed' || name === 'ln_final.hook_normalized') {
    return { name, layer: null, point: name, batchAxis: 0, positionAxis: 1, headAxis: null };
  }
  const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (!m || !(BLOCK_HOOK_POINTS as readonly string[]).includes(m[2])) {
    throw new Error(`unknown hook "${name}" (expected hook_embed, ln_final.hook_normalized or blocks.{layer}.{${BLOCK_HOOK_POINTS.join('|')}})`);
  }
  const layer = Number(m[1]);
  if (layer >= config.numLayers) throw new Error(`hook "${name}": layer ${layer} out of range (the model has ${config.numLayers} layers, 0..${config.numLayers - 1})`);
  const point = m[2] as BlockHookPoint;
  const local = point.replace(/^attn\./, '');
  const perHead = (PER_HEAD_HOOKS as readonly string[]).includes(local);
  if (point === 'attn.hook_pattern') return { name, layer, point, batchAxis: 0, positionAxis: 2, headAxis: 1 };
  return { name, layer, point, batchAxis: 0, positionAxis: 1, headAxis: perHead ? 2 : null };
}

/**
 * Captures and patches for one forward pass. Construct it before the pass (it validates every
 * name and restriction up front, so a typo fails before any compute), call `apply` at each hook
 * point, and hand `cache` to the caller afterwards (or `disposeCache` on failure).
 */
export class HookRunner {
  readonly cache = new Map<HookName, tf.Tensor>();
  private readonly patches = new Map<HookName, { info: HookInfo; list: Patch[] }>();
  private readonly captureSet: Set<HookName> | null = null;
  private readonly captureFn: ((name: HookName) => boolean) | null = null;
  private readonly captureAnswers = new Map<HookName, boolean>();
  /** Last block whose hooks matter (for stopping early when no logits are asked for). */
  readonly lastLayerUsed: number;
  readonly usesFinalLn: boolean;

  constructor(
    private readonly config: NeoXConfig,
    options: Pick<RunOptions, 'capture' | 'patches'>,
    private readonly batch: number,
    private readonly seq: number,
    start: { layer: number; fromResidual: boolean } = { layer: 0, fromResidual: false },
  ) {
    const checkReachable = (info: HookInfo, what: string): void => {
      const skipped = info.layer === null ? info.point === 'hook_embed' && start.fromResidual : info.layer < start.layer;
      if (skipped) throw new Error(`${what} "${info.name}" is never reached: this pass starts from a residual stream at layer ${start.layer}`);
    };
    let lastLayer = -1;
    let finalLn = false;
    const note = (info: HookInfo): void => {
      if (info.layer !== null) lastLayer = Math.max(lastLayer, info.layer);
      if (info.point === 'ln_final.hook_normalized') finalLn = true;
    };

    const capture = options.capture;
    if (typeof capture === 'function') {
      this.captureFn = capture;
      lastLayer = config.numLayers - 1;
      finalLn = true;
    } else if (capture !== undefined) {
      this.captureSet = new Set(capture);
      for (const name of this.captureSet) {
        const info = parseHookName(name, config);
        checkReachable(info, 'captured hook');
        note(info);
      }
    }

    for (const [i, patch] of (options.patches ?? []).entries()) {
      const info = parseHookName(patch.hook, config);
      checkReachable(info, 'patched hook');
      this.checkPatch(patch, info, i);
      note(info);
      const entry = this.patches.get(patch.hook) ?? { info, list: [] };
      entry.list.push(patch);
      this.patches.set(patch.hook, entry);
    }
    this.lastLayerUsed = lastLayer;
    this.usesFinalLn = finalLn;
  }

  private checkPatch(patch: Patch, info: HookInfo, index: number): void {
    const where = `patch ${index} ("${patch.hook}")`;
    const v = patch.value;
    if (!(v === 'zero' || typeof v === 'function' || v instanceof tf.Tensor)) {
      throw new Error(`${where}: value must be 'zero', a tensor or a function of the clean value`);
    }
    const checkIndices = (list: number[] | undefined, size: number, what: string): void => {
      if (list === undefined) return;
      if (!Array.isArray(list)) throw new Error(`${where}: ${what} must be a list of indices`);
      for (const x of list) {
        if (!Number.isInteger(x) || x < 0 || x >= size) throw new Error(`${where}: ${what} index ${x} out of range [0, ${size})`);
      }
    };
    if (patch.heads !== undefined && info.headAxis === null) {
      throw new Error(`${where}: a heads restriction needs a per-head hook (${PER_HEAD_HOOKS.join(', ')})`);
    }
    checkIndices(patch.heads, this.config.numHeads, 'heads');
    checkIndices(patch.positions, this.seq, 'positions');
    checkIndices(patch.batch, this.batch, 'batch');
  }

  /** True when the hook is captured or patched (so the forward must produce its value). */
  isActive(name: HookName): boolean {
    return this.patches.has(name) || this.captures(name);
  }

  private captures(name: HookName): boolean {
    if (this.captureSet) return this.captureSet.has(name);
    if (!this.captureFn) return false;
    // Ask the predicate once per hook and pass.
    let answer = this.captureAnswers.get(name);
    if (answer === undefined) {
      answer = this.captureFn(name);
      this.captureAnswers.set(name, answer);
    }
    return answer;
  }

  /** True when the hook is patched (the value may change). */
  isPatched(name: HookName): boolean {
    return this.patches.has(name);
  }

  /** Apply this pass's patches at `name` to `value` (in the hook's layout), capture, return it. */
  apply(name: HookName, value: tf.Tensor): tf.Tensor {
    const entry = this.patches.get(name);
    let out = value;
    if (entry) out = this.applyPatches(out, entry.info, entry.list);
    if (this.captures(name)) this.cache.set(name, tf.keep(out.clone()));
    return out;
  }

  private applyPatches(clean: tf.Tensor, info: HookInfo, list: Patch[]): tf.Tensor {
    let x = clean;
    for (let i = 0; i < list.length; i++) {
      const patch = list[i];
      if (patch.value === 'zero') {
        // Consecutive zero patches on one hook share one mask: stacked ablations (K copies of a
        // batch, each zeroing another component) then cost one multiply, not K.
        let j = i;
        while (j + 1 < list.length && list[j + 1].value === 'zero') j++;
        const group = list.slice(i, j + 1);
        i = j;
        if (group.some((p) => !restricted(p))) {
          x = tf.zerosLike(x);
          continue;
        }
        const keep = this.selectionMask(info, x.shape, group, 0, 1); // 0 where zeroed, 1 elsewhere
        x = tf.mul(x, keep);
        continue;
      }
      const replacement = typeof patch.value === 'function' ? patch.value(x) : patch.value;
      if (!(replacement instanceof tf.Tensor)) throw new Error(`patch of "${info.name}": the function must return a tensor`);
      if (!sameShape(replacement.shape, x.shape)) {
        throw new Error(`patch of "${info.name}": replacement has shape [${replacement.shape}], expected [${x.shape}]`);
      }
      if (!restricted(patch)) {
        x = replacement;
        continue;
      }
      const select = this.selectionMask(info, x.shape, [patch], 1, 0).cast('bool');
      x = tf.where(select, replacement, x);
    }
    return x;
  }

  /**
   * A mask broadcastable to `shape`: `inside` where any of the patches' restrictions select
   * (batch rows × positions × heads), `outside` elsewhere. Unrestricted axes select all; axes
   * that no restriction concerns have size 1.
   */
  private selectionMask(info: HookInfo, shape: number[], patches: Patch[], inside: number, outside: number): tf.Tensor {
    const maskShape = shape.map((size, axis) => (axis === info.batchAxis || axis === info.positionAxis || axis === info.headAxis ? size : 1));
    const strides = maskShape.map((_, axis) => maskShape.slice(axis + 1).reduce((a, b) => a * b, 1));
    const data = new Float32Array(maskShape.reduce((a, b) => a * b, 1)).fill(outside);
    const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    for (const p of patches) {
      const rows = p.batch ?? all(shape[info.batchAxis]);
      const positions = p.positions ?? all(shape[info.positionAxis]);
      const heads = info.headAxis === null ? [0] : (p.heads ?? all(shape[info.headAxis]));
      const headStride = info.headAxis === null ? 0 : strides[info.headAxis];
      for (const b of rows) {
        for (const t of positions) {
          for (const h of heads) data[b * strides[info.batchAxis] + t * strides[info.positionAxis] + h * headStride] = inside;
        }
      }
    }
    return tf.tensor(data, maskShape);
  }

  /** Dispose captured tensors (when the pass fails half-way). */
  disposeCache(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}

function restricted(p: Patch): boolean {
  return p.batch !== undefined || p.positions !== undefined || p.heads !== undefined;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
