/**
 * The induction task as training tracks it: the best induction-head score and the loss on the
 * repeated half, on held-out prompts. Prompts and per-head scores come from the ablation engine
 * (lib/ablation/tasks.ts), so training and the influence sweep measure the same thing.
 *
 * Task: prompt = `[0] + R + R`, R = L token ids drawn uniformly from [1, vocab) with a seeded Rng
 * (1 + 2L tokens): BOS at 0, the first R at positions 1 … L, the second at L+1 … 2L.
 *
 * Induction-head score of a head (Olsson et al., "In-context Learning and Induction Heads",
 * 2022): the mean attention probability (`blocks.{l}.attn.hook_pattern`, [b, h, q, k]) from each
 * token of the second R, q = 1 + L + i, to the token right after that token's first occurrence,
 * k = i + 2, over i = 0 … L-1 and all prompts. Uniform causal attention gives 1 / (q + 1), about
 * 1 / (1.5 L); a perfect induction head gives 1. The best induction-head score is the maximum
 * over all heads of all layers.
 *
 * Loss on the repeated half (training's definition): the mean next-token cross-entropy (natural
 * log) of the second R's tokens 2 … L, i.e. of the logits at positions L+1 … 2L-1 (the logit at
 * position p predicts the token at p+1). The second R's first token (predicted at position L) is
 * left out because nothing in the prompt determines it; the ablation engine's `repeat_loss`
 * includes it (positions L … 2L-1), so it never falls below ln(vocab-1) / L.
 */
import { inductionBehaviour, inductionPrompts as ablationInductionPrompts } from '../ablation/tasks.js';

/** `count` prompts `[0] + R + R` with R uniform in [1, vocab), from `seed` (the ablation engine's generator). */
export function inductionPrompts(vocabSize: number, spanLength: number, count: number, seed: number): number[][] {
  return ablationInductionPrompts({ nPrompts: count, halfLen: spanLength, seed, bos: 0, tokenRange: [1, vocabSize] }, vocabSize);
}

/** Logit positions whose predictions make up the repeated-half loss: L+1 … 2L-1. */
export function repeatedHalfLogitPositions(spanLength: number): number[] {
  return Array.from({ length: spanLength - 1 }, (_, i) => spanLength + 1 + i);
}

export interface InductionEvaluation {
  /** Training's repeated-half loss (positions L+1 … 2L-1). */
  repeatedHalfLoss: number;
  /** Induction score of every head, [layer][head]. */
  scores: number[][];
  bestScore: number;
  /** `L{layer}H{head}` of the best head. */
  bestHead: string;
}

/**
 * Score the induction task from one forward pass on the prompts: log-probabilities flat
 * row-major [batch, 1 + 2L, vocab] and every layer's attention pattern flat [batch, heads, 1 + 2L, 1 + 2L].
 */
export function evaluateInduction(logProbs: Float32Array, patterns: Float32Array[], prompts: number[][], dims: { vocabSize: number; heads: number }, spanLength: number): InductionEvaluation {
  const batch = prompts.length;
  const seqLen = 1 + 2 * spanLength;
  if (logProbs.length !== batch * seqLen * dims.vocabSize) {
    throw new Error(`evaluateInduction: ${logProbs.length} log-probs do not fit ${batch} prompts × ${seqLen} positions × vocab ${dims.vocabSize}`);
  }
  const crossEntropy = (b: number, p: number): number => -logProbs[(b * seqLen + p) * dims.vocabSize + prompts[b][p + 1]];
  const behaviour = inductionBehaviour(crossEntropy, patterns, { batch, heads: dims.heads, seqLen }, spanLength);
  const positions = repeatedHalfLogitPositions(spanLength);
  let total = 0;
  for (let b = 0; b < batch; b++) for (const p of positions) total += crossEntropy(b, p);
  let bestScore = -Infinity;
  let bestHead = '';
  behaviour.induction_scores.forEach((layer, l) =>
    layer.forEach((s, h) => {
      if (s > bestScore) {
        bestScore = s;
        bestHead = `L${l}H${h}`;
      }
    }),
  );
  return { repeatedHalfLoss: total / (batch * positions.length), scores: behaviour.induction_scores, bestScore, bestHead };
}
