/**
 * Is a checkpoint's edge-weight distribution long-tailed? The tests of Clauset, Shalizi & Newman,
 * "Power-law distributions in empirical data", SIAM Review 51, 661 (2009) (CSN), continuous case,
 * on top of the tail fit of ./power-law.ts (α̂ by maximum likelihood, x_min by the KS rule):
 *
 * 1. Goodness of fit (CSN §4.1): the semi-parametric bootstrap. Each synthetic set has n values;
 *    each is drawn, with probability n_tail/n, from the fitted power law above x_min, otherwise
 *    uniformly from the observed values below x_min. Each is refitted by the same rule (x_min
 *    re-chosen) and p is the share of synthetic KS distances ≥ the observed one. Small p (CSN:
 *    ≤ 0.1) rules the power law out; large p only says it is plausible.
 * 2. Likelihood ratios (CSN §5, Vuong, Econometrica 57, 307 (1989)) on the tail x ≥ x_min, against
 *    an exponential and a log-normal, both truncated at x_min and fitted by maximum likelihood to
 *    the same tail. With ℓ_i = ln p_pl(x_i) − ln p_alt(x_i): R = Σℓ_i, σ² = mean (ℓ_i − ℓ̄)²,
 *    statistic = R / (σ √n_tail), two-sided p = erfc(|statistic| / √2). A sign of R is only
 *    trusted when p < level.
 *
 * The truncated log-normal contains the power law as a limit: with t = ln(x/x_min) its density is
 * ∝ exp(b t − a t²)/x, a = 1/(2σ²), b = (μ − ln x_min)/σ², and a → 0 with b = −(α − 1) is exactly
 * the power law. So its maximum likelihood is never below the power law's, and R ≤ 0 (up to
 * rounding): this test can favour the log-normal or neither, never the power law. Its fit is exact:
 * closed form at the limit, one monotone equation inside (fitTruncatedLognormal). docs/network.md
 * lists what the tests can and cannot tell on ~30–400 weights.
 */
import { OptionError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { DEFAULTS } from './defaults.js';
import { logErfcx, logNormalSurvival } from './erfc.js';
import { fitPowerLawTail, type PowerLawFit } from './power-law.js';
import { overshootMoments, truncationForDispersion } from './truncated-normal.js';

export interface LikelihoodRatioTest {
  alternative: 'lognormal' | 'exponential';
  /** R = Σ ln L_powerlaw − ln L_alternative over the tail: > 0 leans to the power law. */
  lr: number;
  /** Vuong's normalised ratio R / (σ √n_tail). */
  statistic: number;
  /** Two-sided p-value of the statistic under "both fit equally well". */
  p: number;
  /** The sign of lr when p < level, else 'neither'. */
  favours: 'power-law' | 'alternative' | 'neither';
}

export interface TailTestResult {
  /** Number of positive weights tested (non-positive weights are dropped, as the tail fit does). */
  n: number;
  /** Number of weights >= xmin. 0 when unavailable. */
  nTail: number;
  /** The tail fit of fitPowerLawTail; NaN when unavailable. */
  alpha: number;
  xmin: number;
  ks: number;
  /** Bootstrap goodness of fit; null when unavailable or when `draws` is 0. */
  gof: { p: number; draws: number } | null;
  vsLognormal: LikelihoodRatioTest | null;
  vsExponential: LikelihoodRatioTest | null;
  /** Why there are no tests. */
  unavailable?: string;
}

export interface TailTestOptions {
  /** Bootstrap data sets for the goodness-of-fit p (0 skips it). */
  draws?: number;
  /** Seed of the bootstrap's random numbers. */
  seed?: number;
  /** Smallest tail the fit (and every refit) may choose. */
  minTail?: number;
  /** Significance level of `favours`. */
  level?: number;
}

export const TAIL_TEST_DEFAULTS = Object.freeze({
  /**
   * p to about ±0.03 (CSN §4.1: ±ε needs ¼ε⁻² draws), in about 0.2 s for 400 weights: nearly all
   * of it the x_min scan of each refit (O(n²)). Measurements in docs/network.md.
   */
  draws: 250,
  seed: 0,
  /** The tail fit's own default, so tailTests and weightDistribution report the same fit. */
  minTail: DEFAULTS.weights.tailMinSize,
  /** CSN's choice. */
  level: 0.1,
});

export function tailTests(weights: readonly number[], options: TailTestOptions = {}): TailTestResult {
  const settings = checkOptions(options);
  const nonFinite = weights.find((w) => !Number.isFinite(w));
  const positive = weights.filter((w) => w > 0);
  const n = positive.length;
  if (nonFinite !== undefined) return unavailable(n, `tailTests: weights must be finite numbers, got ${nonFinite}`);
  const { fit, reason } = fitPowerLawTail(positive, settings.minTail);
  if (fit === null) return unavailable(n, `tailTests: ${reason}`);

  const sorted = positive.sort((a, b) => a - b); // `positive` is our own copy
  const tail = sorted.slice(n - fit.tailSize);
  const gof = settings.draws > 0
    ? { p: bootstrapPValue(sorted, fit, settings.minTail, settings.draws, new Rng(settings.seed)), draws: settings.draws }
    : null;
  const powerLaw = powerLawLogPdf(fit.alpha, fit.xmin);
  const lognormalFit = fitTruncatedLognormal(tail, fit.xmin);
  const lognormal = truncatedLognormalLogPdf(lognormalFit, fit.xmin);
  const exponential = truncatedExponentialLogPdf(fitTruncatedExponential(tail, fit.xmin), fit.xmin);
  // In the power-law limit the two models are the same distribution: ℓ_i = 0 exactly, not the
  // rounding noise of subtracting two equal densities (whose sign would decide the statistic).
  const lognormalRatios = lognormalFit.powerLawLimit ? tail.map(() => 0) : tail.map((x) => powerLaw(x) - lognormal(x));
  return {
    n, nTail: fit.tailSize, alpha: fit.alpha, xmin: fit.xmin, ks: fit.ks, gof,
    vsLognormal: vuongTest('lognormal', lognormalRatios, settings.level),
    vsExponential: vuongTest('exponential', tail.map((x) => powerLaw(x) - exponential(x)), settings.level),
  };
}

function unavailable(n: number, why: string): TailTestResult {
  return {
    n, nTail: 0, alpha: NaN, xmin: NaN, ks: NaN, gof: null, vsLognormal: null, vsExponential: null, unavailable: why,
  };
}

function checkOptions(options: TailTestOptions): Required<TailTestOptions> {
  const pick = <K extends keyof TailTestOptions>(key: K): number => options[key] ?? TAIL_TEST_DEFAULTS[key];
  const settings = { draws: pick('draws'), seed: pick('seed'), minTail: pick('minTail'), level: pick('level') };
  if (!Number.isInteger(settings.draws) || settings.draws < 0) {
    throw new OptionError('tailTests draws', `expected an integer >= 0, got ${settings.draws}`);
  }
  if (!Number.isFinite(settings.seed)) throw new OptionError('tailTests seed', `expected a finite number, got ${settings.seed}`);
  if (!Number.isInteger(settings.minTail) || settings.minTail < 2) {
    throw new OptionError('tailTests minTail', `expected an integer >= 2, got ${settings.minTail}`);
  }
  if (!(settings.level > 0 && settings.level < 1)) {
    throw new OptionError('tailTests level', `expected a number in (0, 1), got ${settings.level}`);
  }
  return settings;
}

// ---------------------------------------------------------------------------------------------
// Goodness of fit

/**
 * CSN §4.1's semi-parametric bootstrap p-value: the share of synthetic data sets, drawn from the
 * fitted model (power law above x_min, the empirical body below it) and refitted with x_min
 * re-chosen, whose KS distance is at least the observed one. Re-choosing x_min matters: a fit
 * that may pick its x_min always looks better than one with x_min given, on any data.
 */
export function bootstrapPValue(sorted: readonly number[], fit: PowerLawFit, minTail: number, draws: number, rng: Rng): number {
  const n = sorted.length;
  const body = sorted.slice(0, n - fit.tailSize);
  const tailShare = fit.tailSize / n;
  const exponent = -1 / (fit.alpha - 1);
  const synthetic = new Array<number>(n);
  let atLeast = 0;
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) {
      // Inversion of P(x) = 1 − (x/x_min)^(1−α); 1 − u ∈ (0, 1] keeps x finite.
      synthetic[i] = rng.uniform() < tailShare
        ? fit.xmin * Math.pow(1 - rng.uniform(), exponent)
        : body[rng.int(0, body.length)];
    }
    const refit = fitPowerLawTail(synthetic, minTail).fit;
    // A synthetic set with no fit at all (vanishingly rare) fits no better than the data did.
    if (refit === null || refit.ks >= fit.ks) atLeast++;
  }
  return atLeast / draws;
}

// ---------------------------------------------------------------------------------------------
// Vuong's likelihood-ratio test

export function vuongTest(
  alternative: LikelihoodRatioTest['alternative'], ratios: readonly number[], level: number,
): LikelihoodRatioTest {
  const n = ratios.length;
  const lr = ratios.reduce((s, r) => s + r, 0);
  const mean = lr / n;
  const variance = ratios.reduce((s, r) => s + (r - mean) ** 2, 0) / n;
  // σ = 0 only when every ℓ_i is equal, in practice all 0 (the alternative *is* the power law).
  const statistic = variance > 0 ? lr / Math.sqrt(variance * n) : lr === 0 ? 0 : Math.sign(lr) * Infinity;
  // Two-sided: 2(1 − Φ(|s|)) = erfc(|s|/√2), through the log so that it stays exact far out.
  const p = Number.isFinite(statistic) ? Math.exp(Math.LN2 + logNormalSurvival(Math.abs(statistic))) : 0;
  const favours = p < level && lr !== 0 ? (lr > 0 ? 'power-law' : 'alternative') : 'neither';
  return { alternative, lr, statistic, p, favours };
}

// ---------------------------------------------------------------------------------------------
// The tail models: x ≥ x_min, t = ln(x / x_min)

/** ln of the power law's density (α − 1)/x_min · (x/x_min)^(−α) = (α − 1) e^{−(α−1)t} / x. */
export function powerLawLogPdf(alpha: number, xmin: number): (x: number) => number {
  const beta = alpha - 1;
  const logBeta = Math.log(beta);
  return (x) => logBeta - beta * Math.log(x / xmin) - Math.log(x);
}

/** The exponential λ e^{−λ(x − x_min)} on x ≥ x_min: the MLE is λ = 1 / (mean − x_min). */
export function fitTruncatedExponential(tail: readonly number[], xmin: number): { lambda: number } {
  const mean = tail.reduce((s, x) => s + x, 0) / tail.length;
  return { lambda: 1 / (mean - xmin) };
}

export function truncatedExponentialLogPdf({ lambda }: { lambda: number }, xmin: number): (x: number) => number {
  const logLambda = Math.log(lambda);
  return (x) => logLambda - lambda * (x - xmin);
}

/**
 * The log-normal conditioned on x ≥ x_min, as fitted. `mu`, `sigma` are the usual parameters of
 * ln x (−Infinity, Infinity when the fit is the power-law limit). `a`, `b`, `logZ` give the
 * density exp(b t − a t² − logZ) / x with t = ln(x/x_min), the form used to evaluate it.
 */
export interface TruncatedLognormalFit {
  mu: number;
  sigma: number;
  /** True when the maximum is the power-law limit σ → ∞ (a = 0, b = −(α − 1)). */
  powerLawLimit: boolean;
  a: number;
  b: number;
  logZ: number;
}

/**
 * Maximum-likelihood log-normal truncated at x_min. With t = ln(x/x_min) it is the normal
 * N(μ − ln x_min, σ²) truncated to t ≥ 0, an exponential family in (t, t²) with natural
 * parameters (b, −a), a = 1/(2σ²) ≥ 0. Its log-likelihood is concave there, so the maximum is
 * unique, and where it is interior it is the point whose E[t], E[t²] equal the sample's m₁, m₂.
 *
 * - Boundary. At a = 0 the model is the power law, whose best b is −1/m₁. The a-derivative there is
 *   −m₂ + E[t²] = 2m₁² − m₂, so by concavity the maximum *is* the power law exactly when
 *   c = m₂/m₁² ≥ 2, i.e. when ln(x/x_min) is at least as dispersed as an exponential. Returned in
 *   closed form: a numerical search would only crawl towards μ → −∞, σ → ∞ (scipy does; see the test).
 * - Interior (c < 2). Writing t = σW with W the overshoot of a standard normal above
 *   z₀ = (ln x_min − μ)/σ, the two moment equations become E[W²]/E[W]² = c, one equation in z₀
 *   whose left side is monotone (./truncated-normal.ts), then σ = m₁/E[W] and μ = ln x_min − z₀σ.
 *   Bisection on z₀ cannot fail and gives z₀ to ~1e-15, where a 2-D search on the likelihood
 *   resolves the optimum only to ~√ε: a Nelder–Mead version of this fit missed the mpmath
 *   reference by 1.6e-6 in μ on a tail close to the limit, and scipy's by 5e-6.
 */
export function fitTruncatedLognormal(tail: readonly number[], xmin: number): TruncatedLognormalFit {
  const ts = tail.map((x) => Math.log(x / xmin));
  const m1 = ts.reduce((s, t) => s + t, 0) / ts.length;
  const m2 = ts.reduce((s, t) => s + t * t, 0) / ts.length;
  const c = m2 / (m1 * m1);
  // c > 1 always: the tail holds x_min itself (t = 0) and at least one larger value.
  if (c >= 2) return { mu: -Infinity, sigma: Infinity, powerLawLimit: true, a: 0, b: -1 / m1, logZ: Math.log(m1) };
  const z0 = truncationForDispersion(c);
  const sigma = m1 / overshootMoments(z0).mean;
  const a = 1 / (2 * sigma * sigma);
  const b = -z0 / sigma;
  return { mu: Math.log(xmin) - z0 * sigma, sigma, powerLawLimit: false, a, b, logZ: logPartition(a, b) };
}

/**
 * ln Z(a, b) = ln ∫₀^∞ exp(b t − a t²) dt for a > 0: completing the square gives
 * Z = σ √(2π) e^{z₀²/2} (1 − Φ(z₀)) with σ = 1/√(2a), z₀ = −bσ, and
 * e^{z²/2}(1 − Φ(z)) = ½ erfcx(z/√2), so Z = σ √(π/2) erfcx(z₀/√2). The scaled form matters:
 * near the power-law limit z₀ → ∞, where 1 − Φ(z₀) underflows and e^{z₀²/2} overflows.
 */
export function logPartition(a: number, b: number): number {
  const sigma = 1 / Math.sqrt(2 * a);
  return Math.log(sigma * Math.sqrt(Math.PI / 2)) + logErfcx((-b * sigma) / Math.SQRT2);
}

export function truncatedLognormalLogPdf(fit: TruncatedLognormalFit, xmin: number): (x: number) => number {
  return (x) => {
    const t = Math.log(x / xmin);
    return fit.b * t - fit.a * t * t - fit.logZ - Math.log(x);
  };
}
