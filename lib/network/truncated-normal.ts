/**
 * The standard normal Y conditioned on Y ≥ z, through its overshoot W = Y − z ≥ 0. The truncated
 * log-normal fit of the tail tests needs its first two moments and their ratio, for any z, to
 * full precision — including z ≫ 1, where W is nearly exponential and the textbook formulas
 * subtract nearly equal numbers.
 *
 * With λ(z) = φ(z)/(1 − Φ(z)) (the inverse Mills ratio):
 *   E[W] = λ − z,   E[W²] = Var Y + (E[Y] − z)² = (1 + zλ − λ²) + (λ − z)² = 1 − z E[W].
 * For z ≥ 2√2, with y = z/√2 and the continued-fraction tails F_k of ./erfc.ts, λ = √2 (y + F₁),
 * F₁ = ½/(y + F₂), so
 *   E[W] = √2 F₁ = 1/(√2 (y + F₂)),   E[W²] = 1 − 2y F₁ = F₂/(y + F₂),
 * and no difference is ever formed.
 */
import { erfcxNonNegative, laplaceFraction, SERIES_LIMIT } from './erfc.js';

export interface OvershootMoments {
  /** E[W]. */
  mean: number;
  /** E[W²]. */
  meanSquare: number;
}

export function overshootMoments(z: number): OvershootMoments {
  const y = z / Math.SQRT2;
  if (y >= SERIES_LIMIT) {
    const f2 = laplaceFraction(y, 2);
    return { mean: 1 / (Math.SQRT2 * (y + f2)), meanSquare: f2 / (y + f2) };
  }
  const mean = inverseMillsRatio(y) - z;
  return { mean, meanSquare: 1 - z * mean };
}

/** λ at z = y√2 for y < 2: √(2/π)/erfcx(y), with erfcx(y) = e^{y²}(2 − erfc(−y)) for y < 0. */
function inverseMillsRatio(y: number): number {
  const scale = Math.sqrt(2 / Math.PI);
  if (y >= 0) return scale / erfcxNonNegative(y);
  // Multiply through by e^{−y²} so that nothing overflows however negative y is.
  return (scale * Math.exp(-y * y)) / (2 - erfcxNonNegative(-y) * Math.exp(-y * y));
}

/**
 * E[W²]/E[W]² = 1 + CV²(W). It rises from 1 (z → −∞: W ≈ |z|, nearly constant) to 2 (z → ∞:
 * W nearly exponential with rate z), strictly (checked at 50 digits on −40 ≤ z ≤ 40).
 */
export function overshootDispersion(z: number): number {
  const { mean, meanSquare } = overshootMoments(z);
  return meanSquare / (mean * mean);
}

/**
 * The truncation point z with overshootDispersion(z) = c, for 1 < c < 2, by bisection: it
 * cannot fail, since the dispersion is monotone. Brackets by doubling from ±1; as c → 2 the root
 * grows like √2/√(2 − c), at most ~1e8 for c < 2 in doubles.
 */
export function truncationForDispersion(c: number): number {
  if (!(c > 1 && c < 2)) throw new Error(`truncationForDispersion: need 1 < c < 2, got ${c}`);
  let lo = -1;
  while (overshootDispersion(lo) > c) lo *= 2;
  let hi = 1;
  while (overshootDispersion(hi) < c) hi *= 2;
  // To 1e-15 relative (absolute near 0): a few ulps, about 60 halvings.
  while (hi - lo > 1e-15 * Math.max(1, Math.abs(lo), Math.abs(hi))) {
    const mid = lo + (hi - lo) / 2;
    if (overshootDispersion(mid) < c) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}
