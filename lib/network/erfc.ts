/**
 * The complementary error function in the forms the tail tests need, accurate to a few ulps in
 * the far tails where 1 − Φ(z) underflows or 1 − erf(y) cancels:
 * - erfcx(y) = e^{y²} erfc(y), the scaled function, for y ≥ 0;
 * - ln erfcx(y) and ln erfc(y) for every real y;
 * - ln(1 − Φ(z)), the log survival function of the standard normal.
 *
 * For 0 ≤ y < 2, erf comes from its everywhere-positive series (Abramowitz & Stegun 7.1.6),
 *   erf(y) = (2/√π) e^{−y²} Σ_n 2ⁿ y^{2n+1} / (1·3·…·(2n+1)),
 * and erfc = 1 − erf loses at most ~2 digits there (erfc(2) ≈ 4.7e-3).
 * For y ≥ 2, erfcx comes from Laplace's continued fraction (A&S 7.1.14),
 *   erfcx(y) = (1/√π) · 1/(y + (1/2)/(y + (2/2)/(y + (3/2)/(y + …)))),
 * the convergent form of the asymptotic expansion erfcx(y) ~ 1/(y√π) · (1 − 1/(2y²) + 3/(4y⁴) − …);
 * it converges faster the larger y is, and never forms e^{−y²}, so nothing underflows.
 */

const SQRT_PI = Math.sqrt(Math.PI);
/** Below it the series, above it the continued fraction. */
export const SERIES_LIMIT = 2;

/** e^{y²} erfc(y) for y ≥ 0. */
export function erfcxNonNegative(y: number): number {
  if (!(y >= 0)) throw new Error(`erfcxNonNegative: need y >= 0, got ${y}`);
  if (y < SERIES_LIMIT) {
    // Σ 2ⁿ y^{2n+1} / (2n+1)!!: terms grow until n ≈ y² and then fall geometrically.
    let term = y;
    let sum = y;
    for (let n = 1; n < 200; n++) {
      term *= (2 * y * y) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    const erf = (2 / SQRT_PI) * Math.exp(-y * y) * sum;
    return (1 - erf) * Math.exp(y * y);
  }
  return 1 / (SQRT_PI * (y + laplaceFraction(y, 1)));
}

/**
 * The tails of Laplace's continued fraction, F_k(y) = (k/2)/(y + F_{k+1}(y)), i.e.
 *   F_k(y) = (k/2)/(y + ((k+1)/2)/(y + ((k+2)/2)/(y + …))),  y ≥ 2,
 * so that erfcx(y) = 1/(√π (y + F₁(y))). The truncated-normal moments read differences such as
 * λ(z) − z off these tails directly instead of subtracting nearly equal numbers.
 * Evaluated by the modified Lentz method (Press et al., Numerical Recipes, §5.2).
 */
export function laplaceFraction(y: number, k: number): number {
  if (!(y >= SERIES_LIMIT)) throw new Error(`laplaceFraction: need y >= ${SERIES_LIMIT}, got ${y}`);
  const tiny = 1e-300;
  let f = tiny;
  let c = f;
  let d = 0;
  for (let j = 0; j < 500; j++) {
    const a = (k + j) / 2;
    d = y + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = y + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/** ln(e^{y²} erfc(y)) for any real y; finite for every finite y. */
export function logErfcx(y: number): number {
  if (y >= 0) return Math.log(erfcxNonNegative(y));
  // erfc(y) = 2 − erfc(−y) ∈ (1, 2) for y < 0, so ln erfcx(y) = y² + ln erfc(y) without overflow.
  return y * y + Math.log(2 - erfcxNonNegative(-y) * Math.exp(-y * y));
}

/** ln erfc(y) for any real y: stays finite where erfc(y) underflows (y ≳ 27). */
export function logErfc(y: number): number {
  if (y >= 0) return Math.log(erfcxNonNegative(y)) - y * y;
  // ln(2 − ε) with ε = erfc(−y) small: log1p keeps ε's digits instead of rounding them away.
  return Math.LN2 + Math.log1p(-0.5 * erfcxNonNegative(-y) * Math.exp(-y * y));
}

/** ln(1 − Φ(z)) = ln(erfc(z/√2) / 2), the log survival function of the standard normal. */
export function logNormalSurvival(z: number): number {
  if (z >= 0) return logErfc(z / Math.SQRT2) - Math.LN2;
  // 1 − Φ(z) = 1 − ½ erfc(|z|/√2): log1p of the small term directly, since going through
  // ln erfc(z/√2) − ln 2 would leave only the absolute rounding error of ln 2 (~1e-16).
  const y = -z / Math.SQRT2;
  return Math.log1p(-0.5 * erfcxNonNegative(y) * Math.exp(-y * y));
}
