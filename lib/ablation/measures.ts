/**
 * Measures of influence: how much a target's activation a changed to ã when a source was ablated,
 * per prompt and position; an edge weight is the mean over prompts and measured positions.
 *
 * - `cosine` (default): 1 − cos(a, ã), cos clamped to [−1, 1]; cos = 1 when both vectors are
 *   exactly zero and 0 when exactly one is. Scale-free, in [0, 2].
 * - `relative_l2`: ‖ã − a‖ / ‖a‖; 0 when both are exactly zero, 1 when only a is (as if the
 *   change were as large as the clean vector; never infinite).
 * - `kl` (LOGITS only): KL(p ‖ p̃) of the next-token distributions, p = softmax(clean logits).
 *   Component targets get no weight under `kl`; only edges into LOGITS exist.
 *
 * The tensor code reduces activations to per-vector sufficient statistics (dot products and
 * squared norms, in float32); these functions finish in float64 on the host.
 */
import { OptionError } from '../util/errors.js';

export const MEASURES = ['cosine', 'relative_l2', 'kl'] as const;
export type MeasureName = (typeof MEASURES)[number];

export function parseMeasure(name: string, option = '--measure'): MeasureName {
  if ((MEASURES as readonly string[]).includes(name)) return name as MeasureName;
  throw new OptionError(option, `unknown measure "${name}" (known: ${MEASURES.join(', ')})`);
}

/** 1 − cos(a, ã) from ⟨a, ã⟩, ‖a‖², ‖ã‖². */
export function cosineDistance(dot: number, cleanSq: number, ablatedSq: number): number {
  if (cleanSq === 0 && ablatedSq === 0) return 0;
  if (cleanSq === 0 || ablatedSq === 0) return 1;
  const cos = dot / Math.sqrt(cleanSq * ablatedSq);
  return 1 - Math.min(1, Math.max(-1, cos));
}

/** ‖ã − a‖ / ‖a‖ from ‖ã − a‖² and ‖a‖². */
export function relativeL2(diffSq: number, cleanSq: number): number {
  if (cleanSq === 0) return diffSq === 0 ? 0 : 1;
  return Math.sqrt(diffSq / cleanSq);
}

/** Whether a measure has weights on component (head / MLP) targets. */
export function measuresComponents(measure: MeasureName): boolean {
  return measure !== 'kl';
}
