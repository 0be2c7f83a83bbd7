/**
 * The fast influence sweep: one clean pass per checkpoint with the residual stream cached; the
 * ablations of one layer's components run stacked in one batched forward pass restarted at that
 * layer from its cached input; LOGITS cosines and norms come from the unembedding's Gram matrix;
 * full-vocabulary logits are formed only where a loss (or `kl`) needs them.
 *
 * Per ablated source i at layer l, with K sources stacked, the pass has K·B rows (slot-major:
 * row k·B + b is prompt b with slot k's source ablated), restarted at layer l from the clean
 * `blocks.{l}.hook_resid_pre` tiled K times. The replacement of each source's output is applied
 * by one patch per hook (heads: `blocks.{l}.attn.hook_result`, MLP: `blocks.{l}.hook_mlp_out`)
 * that selects, per slot, the ablated head's slice. Targets are then read from the captured hooks
 * of later layers (and the same layer's MLP under the sequential residual) and from
 * `ln_final.hook_normalized` for LOGITS.
 */
import * as tf from '@tensorflow/tfjs';
import { cosineDistance, relativeL2 } from './measures.js';
import { canInfluence, type ComponentNode } from './nodes.js';
import { ablationContext, makePlan, type InfluenceModel, type InfluenceOptions, type SweepPlan } from './plan.js';
import type { Range } from './positions.js';
import { assembleResult, type InfluenceResult, type RawSweep } from './result.js';
import { inductionBehaviour, inductionBehaviourPerPrompt } from './tasks.js';
import { DEFAULT_LSE_CHUNK_ROWS, logitsLogSumExp, unembedGram } from './unembed.js';
import { ablationPatches } from './patches.js';
import { parallelObstacle, parallelSweepRaw } from './parallel.js';
import type { NeoXModel } from '../model/neox.js';

const DEFAULT_STACK_BUDGET = 512 * 1024 * 1024;

/**
 * The influence graph of one model on one batch of prompts: the single entry point of the
 * experiment pipeline and of `cntlens influence`. Returns the matrix (row = source, column =
 * target), bootstrap intervals, delta_loss, clean loss and the clean model's behaviour.
 */
export async function influenceSweep(model: InfluenceModel, prompts: number[][], options: InfluenceOptions = {}): Promise<InfluenceResult> {
  const start = performance.now();
  const plan = makePlan(model.config, prompts, options);
  const workers = options.workers ?? 1;
  let raw: RawSweep;
  const obstacle = workers > 1 ? parallelObstacle(model, plan) : null;
  if (workers > 1 && !obstacle) raw = await parallelSweepRaw(model as NeoXModel, prompts, plan, options, workers);
  else raw = fastSweepRaw(model, prompts, plan, options);
  if (obstacle) process.emitWarning(`influence: running in one thread: ${obstacle}`);
  return assembleResult(plan, raw, 'fast', (performance.now() - start) / 1000, options.perPrompt ?? true);
}

/** The unembedding [d, V] (W_Eᵀ when the embeddings are tied); `owned` when created here. */
export function unembeddingMatrix(model: InfluenceModel): { WU: tf.Tensor2D; owned: boolean } {
  if (model.params.W_U) return { WU: model.params.W_U, owned: false };
  return { WU: tf.transpose(model.params.W_E), owned: true };
}

/** What the ablated passes compare against, all at the measured positions. */
export interface CleanState {
  residPre: tf.Tensor3D[]; //    per layer [B, T, d]
  headOut: tf.Tensor4D[]; //     per layer [B, T, H, d]
  mlpOut: tf.Tensor3D[]; //      per layer [B, T, d]
  headAt: tf.Tensor4D[]; //      per layer [B, P, H, d]
  mlpAt: tf.Tensor3D[]; //       per layer [B, P, d]
  headSq: Float32Array[]; //     per layer [B·P·H] ‖a‖²
  mlpSq: Float32Array[]; //      per layer [B·P]
  finalAt: tf.Tensor3D; //       [B, P, d] final-LN output x
  finalGAt: tf.Tensor3D; //      [B, P, d] x G
  logitsSq: Float32Array; //     [B·P] xᵀ G x = ‖logits‖²
  lossTargets: tf.Tensor3D; //   [B, Pl, d] W_U columns of the next tokens
  final: tf.Tensor3D; //         [B, T, d] final-LN output at every position
  patterns: Float32Array[]; //   per layer [B, H, T, T] attention (induction prompts only)
  klMean?: tf.Tensor3D; //       [B, P, d] Σ_v p_v W_U[:, v] (kl only)
  klLse?: Float64Array; //       [B·P] clean log-sum-exp (kl only)
  WU: tf.Tensor2D;
  ownsWU: boolean;
  G: tf.Tensor2D; //             [d, d]
}

function sliceRange<T extends tf.Tensor>(x: T, range: Range): T {
  const begin = x.shape.map((_, i) => (i === 1 ? range[0] : 0));
  const size = x.shape.map((s, i) => (i === 1 ? range[1] - range[0] : s));
  return tf.slice(x, begin, size) as T;
}

/** W_U columns of the tokens predicted from positions in `range`: [B, R, d]. */
function nextTokenColumns(WU: tf.Tensor2D, prompts: number[][], range: Range): tf.Tensor3D {
  const ids: number[] = [];
  for (const prompt of prompts) for (let p = range[0]; p < range[1]; p++) ids.push(prompt[p + 1]);
  return tf.tidy(() => {
    const rows = tf.gather(tf.transpose(WU), tf.tensor1d(ids, 'int32')); // [B·R, d]
    return rows.reshape([prompts.length, range[1] - range[0], WU.shape[0]]) as tf.Tensor3D;
  });
}

/**
 * Next-token cross-entropy of final-LN states x [K·B, T, d] at logit positions `range`, against
 * target columns [B, R, d]: returns [K·B·R] (slot-major, then prompt, then position).
 */
function crossEntropyAt(x: tf.Tensor3D, range: Range, targets: tf.Tensor3D, WU: tf.Tensor2D, chunkRows: number): Float64Array {
  const [N, , d] = x.shape;
  const [B, R] = targets.shape;
  const K = N / B;
  const at = sliceRange(x, range); //                                                    [K·B, R, d]
  try {
    const flat = at.reshape([N * R, d]) as tf.Tensor2D;
    const lse = logitsLogSumExp(flat, WU, chunkRows); //                                 [K·B·R]
    flat.dispose();
    const target = tf.tidy(() => tf.sum(tf.mul(at.reshape([K, B, R, d]), targets), -1)); // [K, B, R]
    const targetLogit = target.dataSync();
    target.dispose();
    const ce = new Float64Array(N * R);
    for (let i = 0; i < ce.length; i++) ce[i] = lse[i] - targetLogit[i];
    return ce;
  } finally {
    at.dispose();
  }
}

/** Mean over positions of [K·B·R] values → per (slot, prompt) [K·B]. */
function meanOverPositions(values: Float64Array, rows: number, R: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let p = 0; p < R; p++) total += values[r * R + p];
    out[r] = total / R;
  }
  return out;
}

export function cleanPass(model: InfluenceModel, prompts: number[][], plan: SweepPlan, chunkRows: number): CleanState {
  const { config, measured, loss } = plan;
  const L = config.numLayers;
  const capture = new Set<string>(['ln_final.hook_normalized']);
  for (let l = 0; l < L; l++) {
    capture.add(`blocks.${l}.hook_resid_pre`);
    capture.add(`blocks.${l}.attn.hook_result`);
    capture.add(`blocks.${l}.hook_mlp_out`);
    if (plan.inductionHalf !== null) capture.add(`blocks.${l}.attn.hook_pattern`);
  }
  const { cache } = model.run(prompts, { capture, logits: 'none' });
  const take = <T extends tf.Tensor>(name: string): T => {
    const t = cache.get(name);
    if (!t) throw new Error(`influence: the model did not return hook ${name}`);
    return t as T;
  };
  const { WU, owned } = unembeddingMatrix(model);
  const final = take<tf.Tensor3D>('ln_final.hook_normalized'); //                        [B, T, d]
  const residPre = Array.from({ length: L }, (_, l) => take<tf.Tensor3D>(`blocks.${l}.hook_resid_pre`));
  const headOut = Array.from({ length: L }, (_, l) => take<tf.Tensor4D>(`blocks.${l}.attn.hook_result`));
  const mlpOut = Array.from({ length: L }, (_, l) => take<tf.Tensor3D>(`blocks.${l}.hook_mlp_out`));
  const patterns = plan.inductionHalf === null ? [] : Array.from({ length: L }, (_, l) => take<tf.Tensor4D>(`blocks.${l}.attn.hook_pattern`));

  const headAt = headOut.map((t) => sliceRange(t, measured));
  const mlpAt = mlpOut.map((t) => sliceRange(t, measured));
  const squaredNorms = (t: tf.Tensor): Float32Array => tf.tidy(() => tf.sum(tf.square(t), -1).dataSync() as Float32Array);
  const G = unembedGram(WU);
  const finalAt = sliceRange(final, measured);
  const B = plan.batch;
  const P = measured[1] - measured[0];
  const d = config.hiddenSize;
  const finalGAt = tf.tidy(() => tf.matMul(finalAt.reshape([B * P, d]) as tf.Tensor2D, G).reshape([B, P, d]) as tf.Tensor3D);

  const hostPatterns = patterns.map((t) => t.dataSync() as Float32Array);
  tf.dispose(patterns);

  const state: CleanState = {
    residPre, headOut, mlpOut, headAt, mlpAt,
    headSq: headAt.map(squaredNorms),
    mlpSq: mlpAt.map(squaredNorms),
    finalAt, finalGAt,
    logitsSq: tf.tidy(() => tf.sum(tf.mul(finalGAt, finalAt), -1).dataSync() as Float32Array),
    lossTargets: nextTokenColumns(WU, prompts, loss),
    final,
    patterns: hostPatterns,
    WU, ownsWU: owned, G,
  };
  if (plan.measure === 'kl') {
    const WUt = tf.transpose(WU); //                                                     [V, d]
    const flat = finalAt.reshape([B * P, d]) as tf.Tensor2D;
    const parts: tf.Tensor[] = [];
    for (let r0 = 0; r0 < B * P; r0 += chunkRows) {
      const rows = Math.min(chunkRows, B * P - r0);
      parts.push(tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(tf.slice(flat, [r0, 0], [rows, d]), WU)), WUt))); // [rows, d]
    }
    state.klMean = tf.tidy(() => tf.concat(parts).reshape([B, P, d]) as tf.Tensor3D);
    state.klLse = logitsLogSumExp(flat, WU, chunkRows);
    tf.dispose([WUt, flat, ...parts]);
  }
  return state;
}

/**
 * The clean model's loss per prompt (mean over the loss positions) and, for induction prompts,
 * its behaviour (repeat loss, ICL score, induction and previous-token scores).
 */
export function cleanMetrics(clean: CleanState, plan: SweepPlan, prompts: number[][], chunkRows: number): Pick<RawSweep, 'cleanLoss' | 'behaviour' | 'behaviourPerPrompt'> {
  const { loss, batch: B, config } = plan;
  const lossCe = crossEntropyAt(clean.final, loss, clean.lossTargets, clean.WU, chunkRows); // [B·Pl]
  let behaviour: RawSweep['behaviour'] = null;
  let behaviourPerPrompt: RawSweep['behaviourPerPrompt'] = null;
  if (plan.inductionHalf !== null) {
    const n = plan.inductionHalf;
    const repeat: Range = [n, 2 * n];
    let repeatCe = lossCe;
    if (loss[0] !== n || loss[1] !== 2 * n) {
      const targets = nextTokenColumns(clean.WU, prompts, repeat);
      repeatCe = crossEntropyAt(clean.final, repeat, targets, clean.WU, chunkRows);
      targets.dispose();
    }
    const crossEntropy = (b: number, p: number): number => repeatCe[b * n + (p - n)];
    const dims = { batch: B, heads: config.numHeads, seqLen: plan.seqLen };
    behaviour = inductionBehaviour(crossEntropy, clean.patterns, dims, n, plan.iclWindow ?? undefined);
    behaviourPerPrompt = inductionBehaviourPerPrompt(crossEntropy, clean.patterns, dims, n, plan.iclWindow ?? undefined);
  }
  return { cleanLoss: meanOverPositions(lossCe, B, loss[1] - loss[0]), behaviour, behaviourPerPrompt };
}

export function disposeClean(s: CleanState): void {
  tf.dispose([...s.residPre, ...s.headOut, ...s.mlpOut, ...s.headAt, ...s.mlpAt, s.finalAt, s.finalGAt, s.lossTargets, s.final, s.G]);
  if (s.klMean) s.klMean.dispose();
  if (s.ownsWU) s.WU.dispose();
}

/** Bytes one stacked row needs in an ablated pass (captures plus one layer's transients), an estimate. */
function bytesPerRow(plan: SweepPlan): number {
  const { hiddenSize: d, numHeads: H, intermediateSize: dMlp, numLayers: L } = plan.config;
  const T = plan.seqLen;
  const captured = L * (H + 1) * d + d;
  const transient = 3 * d + 4 * H * T + 3 * dMlp + 4 * H * d + 8 * d;
  return 4 * T * (captured + transient);
}

/** Sources grouped by layer, each group at most `stack` long. */
export function stackGroups(sources: ComponentNode[], stack: number): ComponentNode[][] {
  const groups: ComponentNode[][] = [];
  const byLayer = new Map<number, ComponentNode[]>();
  for (const s of sources) byLayer.set(s.layer, [...(byLayer.get(s.layer) ?? []), s]);
  for (const layer of [...byLayer.keys()].sort((a, b) => a - b)) {
    const list = byLayer.get(layer)!;
    for (let i = 0; i < list.length; i += stack) groups.push(list.slice(i, i + stack));
  }
  return groups;
}

/** The replacement of a source's output, checked: [B, T, d]. */
function replacementOf(plan: SweepPlan, clean: CleanState, source: ComponentNode): tf.Tensor3D {
  const { batch: B, seqLen: T } = plan;
  const d = plan.config.hiddenSize;
  const activation = source.kind === 'head'
    ? tf.tidy(() => tf.slice(clean.headOut[source.layer], [0, 0, source.head!, 0], [B, T, 1, d]).reshape([B, T, d]) as tf.Tensor3D)
    : clean.mlpOut[source.layer];
  try {
    const rep = plan.ablation.replacement(activation, ablationContext(plan, source, tf));
    if (!(rep instanceof tf.Tensor) || rep.shape.length !== 3 || rep.shape.some((s, i) => s !== activation.shape[i])) {
      throw new Error(`ablation "${plan.ablation.name}" returned ${rep instanceof tf.Tensor ? `shape [${rep.shape}]` : 'no tensor'} for ${source.name}, expected [${activation.shape}]`);
    }
    return rep;
  } finally {
    if (activation !== clean.mlpOut[source.layer]) activation.dispose();
  }
}

/** Per (slot, prompt) means over positions of a per-vector measure: [K][B]. */
function finishMeasure(
  plan: SweepPlan, K: number, inner: number, innerIndex: number,
  a: Float32Array, b: Float32Array | null, cleanSq: Float32Array,
): Float64Array[] {
  const B = plan.batch;
  const P = plan.measured[1] - plan.measured[0];
  const out: Float64Array[] = [];
  for (let k = 0; k < K; k++) {
    const perPrompt = new Float64Array(B);
    for (let bb = 0; bb < B; bb++) {
      let total = 0;
      for (let p = 0; p < P; p++) {
        const c = (bb * P + p) * inner + innerIndex; //           index into [B, P, inner]
        const i = k * B * P * inner + c; //                       index into [K, B, P, inner]
        total += plan.measure === 'cosine' ? cosineDistance(a[i], cleanSq[c], b![i]) : relativeL2(a[i], cleanSq[c]);
      }
      perPrompt[bb] = total / P;
    }
    out.push(perPrompt);
  }
  return out;
}

/** Run `fn` in a tidy scope and bring its tensors to the host. */
function hostArrays(fn: () => tf.Tensor[]): Float32Array[] {
  const tensors = tf.tidy(fn);
  try {
    return tensors.map((t) => t.dataSync() as Float32Array);
  } finally {
    tf.dispose(tensors);
  }
}

/** Sufficient statistics of ablated vs clean vectors over the last axis: cosine → (⟨a, ã⟩, ‖ã‖²); relative_l2 → (‖ã − a‖², null). */
function vectorStats(plan: SweepPlan, ablated: tf.Tensor, clean: tf.Tensor, K: number): [Float32Array, Float32Array | null] {
  const [a, b] = hostArrays(() => {
    const ab = ablated.reshape([K, ...clean.shape]); //                                  [K, B, P, …, d]
    if (plan.measure === 'cosine') return [tf.sum(tf.mul(ab, clean), -1), tf.sum(tf.square(ab), -1)];
    return [tf.sum(tf.square(tf.sub(ab, clean)), -1)];
  });
  return [a, b ?? null];
}

/** The same for LOGITS through the Gram matrix (x̃ final-LN states at measured positions). */
function logitStats(plan: SweepPlan, clean: CleanState, finalAt: tf.Tensor3D, K: number): [Float32Array, Float32Array | null] {
  const B = plan.batch;
  const P = plan.measured[1] - plan.measured[0];
  const d = plan.config.hiddenSize;
  const [a, b] = hostArrays(() => {
    const x = finalAt.reshape([K, B, P, d]);
    const gram = (v: tf.Tensor): tf.Tensor => tf.matMul(v.reshape([K * B * P, d]) as tf.Tensor2D, clean.G).reshape([K, B, P, d]);
    if (plan.measure === 'cosine') {
      return [
        tf.sum(tf.mul(x, clean.finalGAt), -1), //                                         xᵀ G x̃   [K, B, P]
        tf.sum(tf.mul(gram(x), x), -1), //                                                x̃ᵀ G x̃  [K, B, P]
      ];
    }
    const delta = tf.sub(x, clean.finalAt); //                                             x̃ − x   [K, B, P, d]
    return [tf.sum(tf.mul(gram(delta), delta), -1)];
  });
  return [a, b ?? null];
}

function ablateGroup(model: InfluenceModel, plan: SweepPlan, clean: CleanState, group: ComponentNode[], chunkRows: number, raw: Pick<RawSweep, 'edges' | 'ablatedLoss'>): void {
  const K = group.length;
  const layer = group[0].layer;
  const { batch: B, config, measured, loss } = plan;
  const L = config.numLayers;
  const H = config.numHeads;
  const components = plan.measure !== 'kl';
  const capture = new Set<string>(['ln_final.hook_normalized']);
  if (components) {
    for (let l = layer + 1; l < L; l++) {
      capture.add(`blocks.${l}.attn.hook_result`);
      capture.add(`blocks.${l}.hook_mlp_out`);
    }
    if (!plan.parallel && group.some((s) => s.kind === 'head')) capture.add(`blocks.${layer}.hook_mlp_out`);
  }
  const { patches, owned } = ablationPatches({
    config, batch: B, seqLen: plan.seqLen, slots: group.map((s) => [s]),
    replacement: (node) => replacementOf(plan, clean, node),
  });
  const residPre = tf.tile(clean.residPre[layer], [K, 1, 1]); //                         [K·B, T, d]
  let cache: Map<string, tf.Tensor>;
  try {
    ({ cache } = model.run(null, { startLayer: layer, residPre, patches, capture, logits: 'none' }));
  } finally {
    tf.dispose([residPre, ...owned]);
  }
  try {
    const record = (source: ComponentNode, targetIndex: number, values: Float64Array): void => {
      let row = raw.edges.get(source.index);
      if (!row) raw.edges.set(source.index, (row = new Map()));
      row.set(targetIndex, values);
    };
    const targetsOf = (kind: 'head' | 'mlp', l: number): number[] =>
      plan.nodes.filter((n) => n.kind === kind && n.layer === l).map((n) => n.index);
    if (components) {
      for (let l = layer; l < L; l++) {
        const headCache = cache.get(`blocks.${l}.attn.hook_result`);
        if (headCache) {
          const at = sliceRange(headCache, measured);
          const [a, b] = vectorStats(plan, at, clean.headAt[l], K);
          at.dispose();
          targetsOf('head', l).forEach((targetIndex, h) => {
            const perSlot = finishMeasure(plan, K, H, h, a, b, clean.headSq[l]);
            group.forEach((s, k) => { if (canInfluence(s, plan.nodes[targetIndex], plan.parallel)) record(s, targetIndex, perSlot[k]); });
          });
        }
        const mlpCache = cache.get(`blocks.${l}.hook_mlp_out`);
        if (mlpCache) {
          const at = sliceRange(mlpCache, measured);
          const [a, b] = vectorStats(plan, at, clean.mlpAt[l], K);
          at.dispose();
          const targetIndex = targetsOf('mlp', l)[0];
          const perSlot = finishMeasure(plan, K, 1, 0, a, b, clean.mlpSq[l]);
          group.forEach((s, k) => { if (canInfluence(s, plan.nodes[targetIndex], plan.parallel)) record(s, targetIndex, perSlot[k]); });
        }
      }
    }
    const final = cache.get('ln_final.hook_normalized') as tf.Tensor3D; //               [K·B, T, d]
    const logitsIndex = plan.nodes.length - 1;
    const P = measured[1] - measured[0];
    if (components) {
      const finalAt = sliceRange(final, measured);
      const [a, b] = logitStats(plan, clean, finalAt, K);
      finalAt.dispose();
      const perSlot = finishMeasure(plan, K, 1, 0, a, b, clean.logitsSq);
      group.forEach((s, k) => record(s, logitsIndex, perSlot[k]));
    } else {
      // KL(p ‖ p̃) = Σ_v p_v (ℓ_v − ℓ̃_v) − lse(ℓ) + lse(ℓ̃) = m·(x − x̃) − lse(ℓ) + lse(ℓ̃), m = W_U p.
      const finalAt = sliceRange(final, measured);
      const d = config.hiddenSize;
      const flat = finalAt.reshape([K * B * P, d]) as tf.Tensor2D;
      const lse = logitsLogSumExp(flat, clean.WU, chunkRows);
      const md = tf.tidy(() => tf.sum(tf.mul(tf.sub(clean.finalAt, finalAt.reshape([K, B, P, d])), clean.klMean!), -1).dataSync()); // [K, B, P]
      tf.dispose([flat, finalAt]);
      group.forEach((s, k) => {
        const perPrompt = new Float64Array(B);
        for (let bb = 0; bb < B; bb++) {
          let total = 0;
          for (let p = 0; p < P; p++) {
            const i = (k * B + bb) * P + p;
            total += Math.max(0, md[i] - clean.klLse![bb * P + p] + lse[i]);
          }
          perPrompt[bb] = total / P;
        }
        record(s, logitsIndex, perPrompt);
      });
    }
    const Pl = loss[1] - loss[0];
    const ce = crossEntropyAt(final, loss, clean.lossTargets, clean.WU, chunkRows); //    [K·B·Pl]
    const perRow = meanOverPositions(ce, K * B, Pl);
    group.forEach((s, k) => raw.ablatedLoss.set(s.index, perRow.slice(k * B, (k + 1) * B)));
  } finally {
    tf.dispose([...cache.values()]);
  }
}

/** Ablate `sources` (grouped by layer into stacked passes) and record into `raw`. */
export function ablateSources(model: InfluenceModel, plan: SweepPlan, clean: CleanState, sources: ComponentNode[], options: InfluenceOptions, raw: Pick<RawSweep, 'edges' | 'ablatedLoss'>, onGroup?: (group: ComponentNode[]) => void): void {
  const chunkRows = options.lseChunkRows ?? DEFAULT_LSE_CHUNK_ROWS;
  for (const group of stackGroups(sources, stackSize(plan, options))) {
    ablateGroup(model, plan, clean, group, chunkRows, raw);
    onGroup?.(group);
  }
}

/** How many ablations share one pass: the memory budget over one slot's rows, at least 1. */
export function stackSize(plan: SweepPlan, options: InfluenceOptions): number {
  const budget = options.stackBudgetBytes ?? DEFAULT_STACK_BUDGET;
  return Math.max(1, Math.min(options.maxStack ?? Infinity, Math.floor(budget / (bytesPerRow(plan) * plan.batch))));
}

/** The fast sweep's per-prompt measurements in this thread. */
export function fastSweepRaw(model: InfluenceModel, prompts: number[][], plan: SweepPlan, options: InfluenceOptions = {}): RawSweep {
  const chunkRows = options.lseChunkRows ?? DEFAULT_LSE_CHUNK_ROWS;
  const clean = cleanPass(model, prompts, plan, chunkRows);
  try {
    const raw: RawSweep = { edges: new Map(), ablatedLoss: new Map(), ...cleanMetrics(clean, plan, prompts, chunkRows) };
    let done = 0;
    ablateSources(model, plan, clean, plan.sources, options, raw, (group) => {
      done += group.length;
      options.onProgress?.(done, plan.sources.length, group[group.length - 1].name);
    });
    return raw;
  } finally {
    disposeClean(clean);
  }
}

export { makePlan };
