/**
 * Memory estimates of forward passes and influence sweeps, checked before any prompt is made or
 * tensor allocated (lib/util/resources.ts has the limit and the message). The figures follow what
 * the code keeps alive, not an ideal implementation:
 *
 * - a forward pass runs in one tf.tidy, so every layer's intermediates live until its end: per
 *   token and layer about 30·d + 8·d_mlp + 6·H·T float32 values (layer norms, q/k/v and their
 *   rotations, scores, pattern and their transposes, the MLP and its GELU), measured on the tiny
 *   fixture at 19 k values per token against 21 k estimated;
 * - the sweep's clean pass is one forward pass over every prompt, and each stacked pass holds at
 *   least one slot of B rows (sweep.ts bytesPerRow); per-prompt edge weights (Float64Array, B per
 *   edge), the host copy of the attention patterns (induction prompts) and the bootstrap's draws
 *   (R × B counts, R means) come on top, and the JSON with per-prompt values must fit in one string.
 */
import { tensorLimit } from '../model/backend.js';
import type { NeoXConfig } from '../model/types.js';
import { formatBytes, MAX_TEXT_BYTES } from '../util/files.js';
import { checkMemory, largestFitting, memoryLimit, refuse, totalBytes, type MemoryLimit, type MemoryPart } from '../util/resources.js';

export { tensorLimit };

/** Peak bytes of one prompt row of `seqLen` tokens in a plain forward pass (logits included). */
export function forwardBytesPerRow(config: NeoXConfig, seqLen: number): number {
  const { hiddenSize: d, intermediateSize: f, numHeads: H, numLayers: L, vocabSize: V } = config;
  return 4 * seqLen * (L * (30 * d + 8 * f + 6 * H * seqLen) + 2 * V + 4 * d);
}

export interface SweepRequest {
  config: NeoXConfig;
  /** Prompts. */
  batch: number;
  /** Tokens per prompt. */
  seqLen: number;
  /** Bootstrap resamples. */
  resamples: number;
  /** Induction-shaped prompts: their attention patterns are copied to the host. */
  induction: boolean;
}

/** Tensor and host parts of a sweep's memory (see the module comment). */
export function sweepMemory(r: SweepRequest): { tensors: MemoryPart[]; host: MemoryPart[]; jsonBytes: number } {
  const { hiddenSize: d, intermediateSize: f, numHeads: H, numLayers: L } = r.config;
  const B = r.batch;
  const T = r.seqLen;
  const nodes = L * (H + 1) + 1;
  const edges = (nodes * (nodes - 1)) / 2 + nodes;
  const stackRow = 4 * T * (L * (H + 1) * d + d + 3 * d + 4 * H * T + 3 * f + 4 * H * d + 8 * d);
  return {
    tensors: [
      { label: 'the clean pass', bytes: B * forwardBytesPerRow(r.config, T) },
      { label: 'one stacked ablation pass', bytes: B * stackRow },
    ],
    host: [
      { label: 'per-prompt edge weights', bytes: edges * B * 8 },
      { label: 'attention patterns', bytes: r.induction ? L * B * H * T * T * 4 : 0 },
      { label: 'bootstrap draws', bytes: r.resamples * (2 * B + 8) },
      { label: 'prompts', bytes: B * T * 16 },
    ],
    jsonBytes: edges * (B + 3) * 22,
  };
}

/** Why the sweep does not fit, or null: the parts and the limit they exceed. */
function sweepFits(r: SweepRequest, limit: MemoryLimit): boolean {
  const m = sweepMemory(r);
  const tensors = totalBytes(m.tensors);
  return tensors <= tensorLimit(limit).bytes && tensors + totalBytes(m.host) <= limit.bytes && m.jsonBytes <= MAX_TEXT_BYTES;
}

/** How the request's sizes were given, for the message: options, or a prompt file. */
export interface SweepNames {
  /** The option or file that sets the number of prompts (--n-prompts, or the prompt file). */
  batch: string;
  /** The option that sets the prompt length (--half-len), when there is one. */
  halfLen?: string;
  /** The option that sets the resamples (--bootstrap). */
  resamples: string;
  /** A prompt file: its problems are InputErrors naming it. */
  file?: string;
}

/**
 * Refuse a sweep that does not fit (sweepMemory against memoryLimit and tensorLimit), naming the
 * option to lower and the largest value of it that fits: --bootstrap when the draws alone are the
 * problem, else the number of prompts (or the prompt length, when even one prompt is too much).
 */
export function checkSweepRequest(r: SweepRequest, names: SweepNames, limit: MemoryLimit = memoryLimit()): void {
  if (sweepFits(r, limit)) return;
  const m = sweepMemory(r);
  const tensors = tensorLimit(limit);
  const what = `${r.batch} prompt(s) of ${r.seqLen} tokens with ${r.resamples} bootstrap resamples`;
  const overTensors = totalBytes(m.tensors) > tensors.bytes;
  const parts = overTensors ? m.tensors : [...m.tensors, ...m.host];
  const shownLimit = overTensors ? tensors : limit;
  if (m.jsonBytes > MAX_TEXT_BYTES && totalBytes(parts) <= shownLimit.bytes) {
    const largest = largestFitting(1, r.batch, (b) => sweepMemory({ ...r, batch: b }).jsonBytes <= MAX_TEXT_BYTES);
    refuse(`${what} make an influence file of about ${formatBytes(m.jsonBytes)}, more than one JSON text can hold (${formatBytes(MAX_TEXT_BYTES)})`, names.file ? { file: names.file } : { option: names.batch }, largest);
  }
  if (!sweepFits({ ...r, resamples: 0 }, limit)) {
    if (!sweepFits({ ...r, batch: 1, resamples: 0 }, limit) && names.halfLen !== undefined) {
      const largest = largestFitting(1, Math.floor((r.seqLen - 1) / 2), (n) => sweepFits({ ...r, batch: 1, seqLen: 2 * n + 1, resamples: 0 }, limit));
      checkMemory({ what, parts, limit: shownLimit, option: names.halfLen, largest });
    }
    const largest = largestFitting(1, r.batch, (b) => sweepFits({ ...r, batch: b }, limit));
    checkMemory({ what, parts, limit: shownLimit, ...(names.file ? { file: names.file } : { option: names.batch }), largest });
  }
  const largest = largestFitting(0, r.resamples, (n) => sweepFits({ ...r, resamples: n }, limit));
  checkMemory({ what, parts: [...m.tensors, ...m.host], limit, option: names.resamples, largest });
}

/** Rows of `seqLen` tokens one forward pass may take at a time; 0 when not even one row fits. */
export function forwardRowsPerPass(config: NeoXConfig, seqLen: number, budget: number): number {
  return Math.floor(budget / forwardBytesPerRow(config, seqLen));
}
