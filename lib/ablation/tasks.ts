/**
 * Tasks: the prompts an influence sweep runs on, and the behaviour metrics of a model on them.
 *
 * Induction task (Olsson et al. 2022, "In-context learning and induction heads"): prompts
 * `[bos] + R + R`, R = `halfLen` token ids drawn uniformly from a half-open range that excludes
 * special ids. A model with induction heads predicts the second copy of R from the first.
 * Generation order (so a seed reproduces the prompts anywhere): one Rng(seed), prompts in order,
 * R's ids left to right with `rng.int(lo, hi)`.
 *
 * Prompt files: JSON `{"tokens": [[id, …], …]}`, all prompts of one length.
 */
import { InputError, OptionError, preview } from '../util/errors.js';
import { readJsonFile } from '../util/files.js';
import { Rng } from '../util/rng.js';
import type { Range } from './positions.js';

export interface InductionTaskOptions {
  /** Number of prompts (default 8). */
  nPrompts?: number;
  /** Length of R (default 50): prompts have 2·halfLen + 1 tokens. */
  halfLen?: number;
  /** Seed of the token draws (default 0). */
  seed?: number;
  /** Half-open range [lo, hi) of the random ids; default [1, vocabSize). Pythia's tokenizer: [1, 50277). */
  tokenRange?: Range;
  /** The first token (default 0, Pythia's `<|endoftext|>`). */
  bos?: number;
}

export const INDUCTION_DEFAULTS = { nPrompts: 8, halfLen: 50, seed: 0, bos: 0 } as const;

/** The induction prompts `[bos] + R + R` for a model with `vocabSize` tokens. */
export function inductionPrompts(options: InductionTaskOptions, vocabSize: number): number[][] {
  const nPrompts = options.nPrompts ?? INDUCTION_DEFAULTS.nPrompts;
  const halfLen = options.halfLen ?? INDUCTION_DEFAULTS.halfLen;
  const seed = options.seed ?? INDUCTION_DEFAULTS.seed;
  const bos = options.bos ?? INDUCTION_DEFAULTS.bos;
  const [lo, hi] = options.tokenRange ?? [1, vocabSize];
  if (!Number.isInteger(nPrompts) || nPrompts < 1) throw new OptionError('--n-prompts', `must be a positive integer, got ${nPrompts}`);
  if (!Number.isInteger(halfLen) || halfLen < 1) throw new OptionError('--half-len', `must be a positive integer, got ${halfLen}`);
  if (!Number.isInteger(seed)) throw new OptionError('--seed', `must be an integer, got ${seed}`);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > vocabSize || lo >= hi) {
    throw new OptionError('--token-range', `must be FROM:TO with 0 <= FROM < TO <= vocab size ${vocabSize}, got ${lo}:${hi}`);
  }
  if (!Number.isInteger(bos) || bos < 0 || bos >= vocabSize) throw new OptionError('--bos', `must be a token id below ${vocabSize}, got ${bos}`);
  const rng = new Rng(seed);
  const prompts: number[][] = [];
  for (let b = 0; b < nPrompts; b++) {
    const r = Array.from({ length: halfLen }, () => rng.int(lo, hi));
    prompts.push([bos, ...r, ...r]);
  }
  return prompts;
}

/**
 * Read a prompt file `{"tokens": [[…], …]}`. Every prompt must have the same length (≥ 2), and
 * ids must be integers in [0, vocabSize) and sequences no longer than `maxLength` when given.
 */
export function readPromptsFile(file: string, limits: { vocabSize?: number; maxLength?: number } = {}): number[][] {
  const json = readJsonFile(file);
  return validatePrompts(json, file, limits);
}

export function validatePrompts(json: unknown, file: string, limits: { vocabSize?: number; maxLength?: number } = {}): number[][] {
  const tokens = (json as { tokens?: unknown } | null)?.tokens;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || tokens === undefined) {
    throw new InputError(file, 'expected an object {"tokens": [[id, …], …]}');
  }
  if (!Array.isArray(tokens) || tokens.length === 0) throw new InputError(file, '"tokens" must be a non-empty array of prompts');
  const length = Array.isArray(tokens[0]) ? tokens[0].length : -1;
  for (const [b, prompt] of tokens.entries()) {
    if (!Array.isArray(prompt)) throw new InputError(file, `tokens[${b}] is not an array of token ids`);
    if (prompt.length !== length) throw new InputError(file, `tokens[${b}] has ${prompt.length} tokens but tokens[0] has ${length} (all prompts must have one length)`);
    for (const [p, id] of prompt.entries()) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new InputError(file, `tokens[${b}][${p}] = ${preview(id)} is not a token id (a non-negative integer)`);
      if (limits.vocabSize !== undefined && id >= limits.vocabSize) throw new InputError(file, `tokens[${b}][${p}] = ${id} is outside the model's vocabulary (size ${limits.vocabSize})`);
    }
  }
  if (length < 2) throw new InputError(file, `prompts have ${length} token(s); at least 2 are needed (one prediction)`);
  if (limits.maxLength !== undefined && length > limits.maxLength) {
    throw new InputError(file, `prompts have ${length} tokens, more than the model's max_position_embeddings ${limits.maxLength}`);
  }
  return tokens as number[][];
}

/**
 * The repeat length n when every prompt has the induction form `[x] + R + R` (odd length
 * 2n + 1, second half equal to the first), else null.
 */
export function inductionHalfLength(prompts: number[][]): number | null {
  const length = prompts[0]?.length ?? 0;
  if (length < 3 || length % 2 === 0) return null;
  const n = (length - 1) / 2;
  for (const prompt of prompts) {
    for (let i = 1; i <= n; i++) if (prompt[i] !== prompt[i + n]) return null;
  }
  return n;
}

export interface BehaviourMetrics {
  task: 'induction';
  /** Repeat length n. */
  half_len: number;
  /** Mean next-token loss on the repeated half (logit positions n … 2n-1). */
  repeat_loss: number;
  /** Mean loss on the last `icl_window` predictions of the repeat minus that on its first ones. */
  icl_score: number;
  icl_window: number;
  /** [layer][head]: mean attention from each repeated token (q = n+1 … 2n) to the token after its first occurrence (q − n + 1). */
  induction_scores: number[][];
  /** [layer][head]: mean attention from each token (q = 1 … seq-1) to the previous one. */
  prev_token_scores: number[][];
}

/** The default ICL window: the first / last tenth of the repeat, at least one token. */
export function defaultIclWindow(halfLen: number): number {
  return Math.max(1, Math.floor(halfLen / 10));
}

/** Induction prompts are [BOS] + R + R: 2n + 1 tokens, and the ICL window fits in one repeat. */
function checkInductionShape(who: string, T: number, n: number, iclWindow: number): void {
  if (T !== 2 * n + 1) throw new Error(`${who}: sequence length ${T} is not 2·${n} + 1`);
  if (!Number.isInteger(iclWindow) || iclWindow < 1 || iclWindow > n) throw new OptionError('--icl-window', `must be an integer in 1…${n}, got ${iclWindow}`);
}

/**
 * Behaviour of the model on induction prompts of repeat length n.
 * - `crossEntropy(b, p)`: clean next-token loss of the logit at position p of prompt b, for p in [n, 2n).
 * - `patterns[l]`: the clean attention probabilities of layer l, flattened [batch, head, query, key].
 */
export function inductionBehaviour(
  crossEntropy: (b: number, p: number) => number,
  patterns: Float32Array[],
  dims: { batch: number; heads: number; seqLen: number },
  halfLen: number,
  iclWindow = defaultIclWindow(halfLen),
): BehaviourMetrics {
  const { batch, heads, seqLen: T } = dims;
  const n = halfLen;
  checkInductionShape('inductionBehaviour', T, n, iclWindow);
  const meanLoss = (from: number, to: number): number => {
    let total = 0;
    for (let b = 0; b < batch; b++) for (let p = from; p < to; p++) total += crossEntropy(b, p);
    return total / (batch * (to - from));
  };
  const attentionScore = (pattern: Float32Array, h: number, queries: number[], key: (q: number) => number): number => {
    let total = 0;
    for (let b = 0; b < batch; b++) {
      const base = (b * heads + h) * T * T;
      for (const q of queries) total += pattern[base + q * T + key(q)];
    }
    return total / (batch * queries.length);
  };
  const repeatQueries = Array.from({ length: n }, (_, i) => n + 1 + i);
  const allQueries = Array.from({ length: T - 1 }, (_, i) => 1 + i);
  return {
    task: 'induction',
    half_len: n,
    repeat_loss: meanLoss(n, 2 * n),
    icl_score: meanLoss(2 * n - iclWindow, 2 * n) - meanLoss(n, n + iclWindow),
    icl_window: iclWindow,
    induction_scores: patterns.map((pattern) => Array.from({ length: heads }, (_, h) => attentionScore(pattern, h, repeatQueries, (q) => q - n + 1))),
    prev_token_scores: patterns.map((pattern) => Array.from({ length: heads }, (_, h) => attentionScore(pattern, h, allQueries, (q) => q - 1))),
  };
}

/**
 * The per-prompt pieces of the induction behaviour (an influence file's `per_prompt.behaviour`):
 * each is the matching BehaviourMetrics value computed on one prompt alone, so the aggregate is
 * the mean of its pieces over the prompts (up to rounding). They let a prompt bootstrap recompute
 * the behaviour metrics of any resample of the prompts without a forward pass.
 */
export interface PerPromptBehaviour {
  /** Per prompt: mean next-token loss on the repeated half. */
  repeat_loss: number[];
  /** Per prompt: mean loss on the last `icl_window` predictions of the repeat minus that on its first ones. */
  icl_score: number[];
  /** [layer][head][prompt]: the induction score (see BehaviourMetrics) on each prompt alone. */
  induction_scores: number[][][];
}

/** inductionBehaviour's repeat loss, ICL score and induction scores, per prompt (same arguments). */
export function inductionBehaviourPerPrompt(
  crossEntropy: (b: number, p: number) => number,
  patterns: Float32Array[],
  dims: { batch: number; heads: number; seqLen: number },
  halfLen: number,
  iclWindow = defaultIclWindow(halfLen),
): PerPromptBehaviour {
  const { batch, heads, seqLen: T } = dims;
  const n = halfLen;
  checkInductionShape('inductionBehaviourPerPrompt', T, n, iclWindow);
  const meanLoss = (b: number, from: number, to: number): number => {
    let total = 0;
    for (let p = from; p < to; p++) total += crossEntropy(b, p);
    return total / (to - from);
  };
  const prompts = Array.from({ length: batch }, (_, b) => b);
  return {
    repeat_loss: prompts.map((b) => meanLoss(b, n, 2 * n)),
    icl_score: prompts.map((b) => meanLoss(b, 2 * n - iclWindow, 2 * n) - meanLoss(b, n, n + iclWindow)),
    // Queries q = n+1 … 2n attend to q − n + 1, as in inductionBehaviour.
    induction_scores: patterns.map((pattern) => Array.from({ length: heads }, (_, h) => prompts.map((b) => {
      const base = (b * heads + h) * T * T;
      let total = 0;
      for (let q = n + 1; q <= 2 * n; q++) total += pattern[base + q * T + (q - n + 1)];
      return total / n;
    }))),
  };
}
