/**
 * χ² tail probabilities and quantiles, for the default change-point penalty.
 *
 * The survival function of χ²_k at x is the regularised upper incomplete gamma function
 * Q(k/2, x/2). It is evaluated by its power series when x/2 < k/2 + 1 and by its continued
 * fraction (modified Lentz) otherwise, the standard split (Abramowitz & Stegun 6.5.29 and 6.5.31;
 * Press et al., Numerical Recipes, §6.2). The quantile is found by bisection on log(x), which is
 * slow but cannot fail: the survival function is monotone.
 */

const LANCZOS_G = 7;
const LANCZOS_COEF = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos approximation, g = 7, n = 9; relative error ~1e-15). */
export function logGamma(z: number): number {
  if (!(z > 0)) throw new Error(`logGamma: need z > 0, got ${z}`);
  if (z < 0.5) {
    // Reflection keeps the approximation in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  }
  const x = z - 1;
  let a = LANCZOS_COEF[0];
  const t = x + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS_COEF.length; i++) a += LANCZOS_COEF[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0. */
export function upperGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new Error(`upperGammaQ: need a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // P(a, x) = e^{-x} x^a / Γ(a+1) · Σ x^n / ((a+1)…(a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  // Q(a, x) = e^{-x} x^a / Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))), modified Lentz.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefix) * h;
}

/** P(χ²_k ≥ x). */
export function chiSquareSurvival(x: number, k: number): number {
  if (x <= 0) return 1;
  return upperGammaQ(k / 2, x / 2);
}

/** The x with P(χ²_k ≥ x) = p, for 0 < p < 1. */
export function chiSquareUpperQuantile(p: number, k: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`chiSquareUpperQuantile: need 0 < p < 1, got ${p}`);
  if (!(k > 0)) throw new Error(`chiSquareUpperQuantile: need k > 0, got ${k}`);
  let lo = 1e-12;
  let hi = Math.max(10, 4 * k);
  while (chiSquareSurvival(hi, k) > p) hi *= 2;
  for (let i = 0; i < 200 && hi / lo > 1 + 1e-13; i++) {
    const mid = Math.sqrt(lo * hi);
    if (chiSquareSurvival(mid, k) > p) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}
