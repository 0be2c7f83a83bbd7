/**
 * The naive influence sweep, the reference the fast one is tested and benchmarked against: one
 * full forward pass from the tokens per ablated component, full-vocabulary logits at every
 * position, every measure computed on the explicit activations and logits (log-softmax by
 * TF.js, no Gram matrix, no restarts, no stacking, the model's own per-head patch restriction).
 */
import * as tf from '@tensorflow/tfjs';
import type { Patch } from '../model/types.js';
import { cosineDistance, relativeL2 } from './measures.js';
import { canInfluence, type ComponentNode } from './nodes.js';
import { ablationContext, makePlan, type InfluenceModel, type InfluenceOptions, type SweepPlan } from './plan.js';
import { assembleResult, type InfluenceResult, type RawSweep } from './result.js';
import { inductionBehaviour, inductionBehaviourPerPrompt } from './tasks.js';

export async function naiveInfluenceSweep(model: InfluenceModel, prompts: number[][], options: InfluenceOptions = {}): Promise<InfluenceResult> {
  const start = performance.now();
  const plan = makePlan(model.config, prompts, options);
  const raw = naiveSweepRaw(model, prompts, plan, options);
  return assembleResult(plan, raw, 'naive', (performance.now() - start) / 1000, options.perPrompt ?? true);
}

/** Host copy of a tensor computed in a tidy scope. */
function host(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/** −log p(token p+1 | prefix) for every prompt b and logit position p < T−1: [B][T−1]. */
function crossEntropies(logits: tf.Tensor, prompts: number[][]): number[][] {
  const [B, T, V] = logits.shape;
  const index: number[] = [];
  for (let b = 0; b < B; b++) for (let p = 0; p < T - 1; p++) index.push((b * T + p) * V + prompts[b][p + 1]);
  const picked = host(() => tf.gather(tf.logSoftmax(logits).reshape([B * T * V]), tf.tensor1d(index, 'int32'))); // [B·(T−1)]
  return Array.from({ length: B }, (_, b) => Array.from({ length: T - 1 }, (_, p) => -picked[b * (T - 1) + p]));
}

function hooksOf(node: ComponentNode): string {
  return node.kind === 'head' ? `blocks.${node.layer}.attn.hook_result` : `blocks.${node.layer}.hook_mlp_out`;
}

/** A target's activation at the measured positions: [B, P, d] (head h's slice for a head), or logits [B, P, V]. */
function targetActivation(plan: SweepPlan, cache: Map<string, tf.Tensor>, logits: tf.Tensor, target: ComponentNode): tf.Tensor {
  const [m0, m1] = plan.measured;
  const B = plan.batch;
  const P = m1 - m0;
  const d = plan.config.hiddenSize;
  if (target.kind === 'logits') return tf.slice(logits, [0, m0, 0], [B, P, -1]);
  const value = cache.get(hooksOf(target))!;
  if (target.kind === 'head') return tf.tidy(() => tf.slice(value, [0, m0, target.head!, 0], [B, P, 1, d]).reshape([B, P, d]));
  return tf.slice(value, [0, m0, 0], [B, P, d]);
}

/** Per-prompt mean over measured positions of the measure between clean and ablated [B, P, n]. */
function measureExplicit(plan: SweepPlan, clean: tf.Tensor, ablated: tf.Tensor): Float64Array {
  const [B, P] = clean.shape;
  const perPosition = new Float64Array(B * P);
  if (plan.measure === 'kl') {
    const kl = host(() => {
      const logP = tf.logSoftmax(clean);
      return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, tf.logSoftmax(ablated))), -1);
    });
    for (let i = 0; i < kl.length; i++) perPosition[i] = Math.max(0, kl[i]);
  } else if (plan.measure === 'cosine') {
    const dot = host(() => tf.sum(tf.mul(clean, ablated), -1));
    const cleanSq = host(() => tf.sum(tf.square(clean), -1));
    const ablatedSq = host(() => tf.sum(tf.square(ablated), -1));
    for (let i = 0; i < dot.length; i++) perPosition[i] = cosineDistance(dot[i], cleanSq[i], ablatedSq[i]);
  } else {
    const diffSq = host(() => tf.sum(tf.square(tf.sub(ablated, clean)), -1));
    const cleanSq = host(() => tf.sum(tf.square(clean), -1));
    for (let i = 0; i < diffSq.length; i++) perPosition[i] = relativeL2(diffSq[i], cleanSq[i]);
  }
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let total = 0;
    for (let p = 0; p < P; p++) total += perPosition[b * P + p];
    out[b] = total / P;
  }
  return out;
}

function meanLoss(ce: number[][], [from, to]: [number, number]): Float64Array {
  return Float64Array.from(ce, (row) => row.slice(from, to).reduce((a, b) => a + b, 0) / (to - from));
}

export function naiveSweepRaw(model: InfluenceModel, prompts: number[][], plan: SweepPlan, options: InfluenceOptions = {}): RawSweep {
  const { config, batch: B, seqLen: T } = plan;
  const L = config.numLayers;
  const H = config.numHeads;
  const d = config.hiddenSize;
  const capture: string[] = [];
  for (let l = 0; l < L; l++) capture.push(`blocks.${l}.attn.hook_result`, `blocks.${l}.hook_mlp_out`);
  const patternHooks = plan.inductionHalf === null ? [] : Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);

  const clean = model.run(prompts, { capture: [...capture, ...patternHooks], logits: 'all' });
  const cleanLogits = clean.logits!; //                                                  [B, T, V]
  try {
    const cleanCe = crossEntropies(cleanLogits, prompts);
    let behaviour: RawSweep['behaviour'] = null;
    let behaviourPerPrompt: RawSweep['behaviourPerPrompt'] = null;
    if (plan.inductionHalf !== null) {
      const patterns = patternHooks.map((name) => clean.cache.get(name)!.dataSync() as Float32Array);
      behaviour = inductionBehaviour((b, p) => cleanCe[b][p], patterns, { batch: B, heads: H, seqLen: T }, plan.inductionHalf, plan.iclWindow ?? undefined);
      behaviourPerPrompt = inductionBehaviourPerPrompt((b, p) => cleanCe[b][p], patterns, { batch: B, heads: H, seqLen: T }, plan.inductionHalf, plan.iclWindow ?? undefined);
    }
    const raw: RawSweep = { edges: new Map(), ablatedLoss: new Map(), cleanLoss: meanLoss(cleanCe, plan.loss), behaviour, behaviourPerPrompt };
    plan.sources.forEach((source, done) => {
      const activation = tf.tidy(() => source.kind === 'head'
        ? tf.slice(clean.cache.get(hooksOf(source))!, [0, 0, source.head!, 0], [B, T, 1, d]).reshape([B, T, d])
        : clean.cache.get(hooksOf(source))!.clone()) as tf.Tensor3D;
      const replacement = plan.ablation.replacement(activation, ablationContext(plan, source, tf)); // [B, T, d]
      const patch: Patch = source.kind === 'head'
        ? { hook: hooksOf(source), heads: [source.head!], value: tf.tidy(() => tf.tile(replacement.reshape([B, T, 1, d]), [1, 1, H, 1])) } // [B, T, H, d]
        : { hook: hooksOf(source), value: replacement.clone() };
      tf.dispose([activation, replacement]);
      let ablated;
      try {
        ablated = model.run(prompts, { capture, patches: [patch], logits: 'all' });
      } finally {
        (patch.value as tf.Tensor).dispose();
      }
      try {
        const row = new Map<number, Float64Array>();
        for (const target of plan.nodes) {
          if (!canInfluence(source, target, plan.parallel)) continue;
          if (plan.measure === 'kl' && target.kind !== 'logits') continue;
          const a = targetActivation(plan, clean.cache, cleanLogits, target);
          const b = targetActivation(plan, ablated.cache, ablated.logits!, target);
          row.set(target.index, measureExplicit(plan, a, b));
          tf.dispose([a, b]);
        }
        raw.edges.set(source.index, row);
        raw.ablatedLoss.set(source.index, meanLoss(crossEntropies(ablated.logits!, prompts), plan.loss));
      } finally {
        tf.dispose([ablated.logits!, ...ablated.cache.values()]);
      }
      options.onProgress?.(done + 1, plan.sources.length, source.name);
    });
    return raw;
  } finally {
    tf.dispose([cleanLogits, ...clean.cache.values()]);
  }
}

export type { SweepPlan };
