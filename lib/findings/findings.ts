/**
 * The study's four claims about a training run, each as a statistic with a 95% interval (bootstrap
 * over prompts), a p-value where a test applies, and a verdict — controlled against what the
 * layered architecture forces on its own:
 *
 * 1. a stable hierarchy of information spreaders: mean Kendall τ-b between consecutive
 *    checkpoints' spreader rankings, against the same statistic on block-permuted graphs
 *    (`structureTest`), and on the null-corrected rankings (strength z-scores, `strengthZScores`);
 * 2. a dynamic set of information gatherers: the same for gatherers, and the difference
 *    spreaders − gatherers;
 * 3. roles reconfigure at key learning junctures: the largest drops in role-ranking stability lie
 *    closer to the phase boundaries than random boundaries put them (`junctureTest`);
 * 4. a long-tailed distribution of edge weights emerges with training: per checkpoint the
 *    power-law fit, its goodness of fit and likelihood-ratio tests against the log-normal and the
 *    exponential (`tailTests`, Clauset, Shalizi & Newman 2009), compared across phases.
 *
 * Verdicts: "supported", "not supported", or "not beyond structure" (stable, but no more than the
 * null graphs), "undetermined" when the data cannot say (no phases, too few edges). The tests are
 * one-sided at level 0.05, Bonferroni-corrected over the claims tested (0.05 / 5 = 0.01 each).
 * Intervals are percentile intervals over prompt resamples (resample r the same draw of prompts at
 * every checkpoint, as the phase confidence uses), from the influence files' per-prompt values; the
 * null-corrected statistics of a resample reuse the null of its own resampled graphs.
 */
import { bootstrapCounts, quantileSorted, resampledMatrix } from '../ablation/bootstrap.js';
import { allowedEdges, edgeArrays } from '../network/null-models.js';
import { fitPowerLawTail } from '../network/power-law.js';
import { TAIL_TEST_DEFAULTS, tailTests, type TailTestResult } from '../network/tail-tests.js';
import { kendallTau } from '../phases/ranking.js';
import { junctureTest, largestDrops, meanDistance, type JunctureTest } from './junctures.js';
import { StrengthNull } from './null-strength.js';
import { persistence, rankedComponents, rankStability, roleScores, ROLES, structureTest, type RankStability, type Role, type StructureTest } from './stability.js';
import { clusterTrajectories, type TrajectoryClustering } from './trajectories.js';

export type Verdict = 'supported' | 'not supported' | 'not beyond structure' | 'undetermined';

export interface Finding {
  claim: string;
  /** The statistic and its value. */
  statistic: string;
  value: number | null;
  /** 95% percentile interval over prompt resamples, or null without per-prompt values. */
  interval: [number, number] | null;
  /** p-value of the test the verdict rests on, or null. */
  p: number | null;
  verdict: Verdict;
  /** One sentence: the verdict and why, with the numbers. */
  sentence: string;
}

export interface FindingsInput {
  steps: number[];
  /** Node ids in matrix order (L{l}H{h}, L{l}MLP, LOGITS). */
  nodes: string[];
  /** Influence matrix per checkpoint, [source][target]. */
  matrices: number[][][];
  parallelResidual: boolean;
  /** Per checkpoint, per-prompt edge values [i][j][prompt] (null where no edge): enables the intervals. */
  perPromptEdges?: ((number[] | null)[][] | null)[];
  /** The phases: boundaries as checkpoint indices, the warm-up's checkpoint count, the minimum phase size, the labels. */
  phases: { boundaries: number[]; warmup: number; minSize: number; labels: string[] };
}

export interface FindingsOptions {
  /** Prompt resamples for the intervals (default 200). */
  resamples?: number;
  /** Null draws of the structure test (default 200). */
  nullDraws?: number;
  /** Random boundary sets of the juncture test (default 10,000). */
  junctureDraws?: number;
  /** Draws of the tail goodness-of-fit bootstrap per checkpoint (default 50; the final checkpoint gets at least tailTests' 250). */
  tailDraws?: number;
  /** Family-wise level, Bonferroni-corrected over the claims (default 0.05). */
  level?: number;
  seed?: number;
  /** Run the tail tests (default true; false leaves the long-tail finding undetermined, for speed). */
  longTail?: boolean;
}

export const FINDINGS_DEFAULTS = { resamples: 200, nullDraws: 200, junctureDraws: 10000, level: 0.05, seed: 0, longTail: true } as const;

/** Goodness-of-fit draws per checkpoint of the series (the final checkpoint gets at least tailTests' default). */
export const SERIES_TAIL_DRAWS = 50;

/**
 * A hierarchy counts as stable only if, at lags of a phase's minimum length or more, its
 * null-corrected ranking keeps at least this share of the agreement consecutive checkpoints show.
 */
export const PERSISTENCE_RATIO = 0.5;
/** Claims with a test: spreader stability, gatherer stability, their difference, junctures, long tail. */
export const TESTED_CLAIMS = 5;

export interface RoleStabilityDetail {
  raw: RankStability;
  nullCorrected: RankStability;
  structure: StructureTest;
  /** Mean null-corrected τ-b over pairs of checkpoints at least `lag` apart, and its ratio to the consecutive one. */
  persistence: { lag: number; nullCorrected: number | null; ratio: number | null };
  /** τ-b of the final ranking with the step-0 ranking (null without a step-0 checkpoint). */
  vsInitialisation: { raw: number | null; nullCorrected: number | null } | null;
  /** Intervals of raw and null-corrected mean stability. */
  intervals: { raw: [number, number] | null; nullCorrected: [number, number] | null };
}

export interface TailSummary {
  perCheckpoint: ({ step: number } & TailTestResult)[];
  /** Per phase: the share of its checkpoints whose tail is heavier than exponential (LR favours the power law), plausible as a power law (GoF p ≥ 0.1), and better fitted by the log-normal. */
  perPhase: { label: string; start: number; end: number; longTailed: number | null; plausiblePowerLaw: number | null; lognormalPreferred: number | null }[];
  /** α at the final checkpoint with its interval over prompt resamples. */
  finalAlpha: { value: number | null; interval: [number, number] | null };
}

export interface FindingsResult {
  settings: Required<Omit<FindingsOptions, 'tailDraws'>> & { tailDraws: number | null; perClaimLevel: number; persistenceRatio: number; resamplesUsed: number; nullModel: 'block' };
  spreaderStability: Finding;
  gathererStability: Finding;
  stabilityDifference: Finding;
  reconfiguration: Finding;
  longTail: Finding;
  details: {
    spreader: RoleStabilityDetail;
    gatherer: RoleStabilityDetail;
    difference: { raw: number | null; nullCorrected: number | null; intervals: { raw: [number, number] | null; nullCorrected: [number, number] | null }; p: { raw: number | null; nullCorrected: number | null } };
    junctures: (JunctureTest & { interval: [number, number] | null }) | null;
    tail: TailSummary;
    trajectories: TrajectoryClustering | null;
    /** The roles beyond structure at the final checkpoint: components ranked by strength z-score (out for spreaders, in for gatherers), highest first. */
    beyondStructure: { step: number; spreaders: { id: string; z: number }[]; gatherers: { id: string; z: number }[] };
  };
  unavailable: Record<string, string>;
}

function interval(values: number[]): [number, number] | null {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length < 10) return null;
  return [quantileSorted(finite, 0.025), quantileSorted(finite, 0.975)];
}

/** One-sided bootstrap p-value of "the statistic is > 0": the share of resamples at or below 0. */
function bootstrapP(values: number[]): number | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 10) return null;
  return (1 + finite.filter((v) => v <= 0).length) / (1 + finite.length);
}

const fmt = (v: number | null, digits = 2): string => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const fmtP = (p: number | null): string => (p === null ? 'n/a' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const fmtInterval = (i: [number, number] | null): string => (i ? `[${i[0].toFixed(2)}, ${i[1].toFixed(2)}]` : 'no interval');

/** Null-corrected role scores: the strength z-scores (0 where the null variance is 0). */
function zScores(matrix: number[][], nullModel: StrengthNull, ranked: readonly number[]): Record<Role, Float64Array> {
  const z = nullModel.zScores(matrix);
  return { spreader: Float64Array.from(ranked, (i) => z.out[i] ?? 0), gatherer: Float64Array.from(ranked, (i) => z.in[i] ?? 0) };
}

/** Segments [start, end) of the phases, as checkpoint indices. */
function segments(n: number, warmup: number, boundaries: readonly number[]): [number, number][] {
  const starts = [warmup, ...boundaries];
  return starts.map((s, i) => [s, i + 1 < starts.length ? starts[i + 1] : n]);
}

/** Positive edge weights of a matrix (|w| > 0), the distribution the tail tests read. */
function edgeWeights(matrix: readonly (readonly number[])[]): number[] {
  const weights: number[] = [];
  for (const row of matrix) for (const w of row) if (w !== 0) weights.push(Math.abs(w));
  return weights;
}

function roleVerdict(role: Role, d: RoleStabilityDetail, perClaim: number): Finding {
  const name = role === 'spreader' ? 'spreader' : 'gatherer';
  const claim = role === 'spreader' ? 'a stable hierarchy of information spreaders' : 'the set of information gatherers is stable (the study claims it is dynamic)';
  const raw = d.raw.mean;
  const z = d.nullCorrected.mean;
  const s = d.structure;
  const rawStable = d.intervals.raw ? d.intervals.raw[0] > 0 : raw !== null && raw > 0;
  const zStable = d.intervals.nullCorrected ? d.intervals.nullCorrected[0] > 0 : z !== null && z > 0;
  const beyond = s.p !== null && s.p < perClaim;
  const ratio = d.persistence.ratio;
  const persists = ratio !== null && ratio >= PERSISTENCE_RATIO;
  let verdict: Verdict;
  let why: string;
  if (raw === null) {
    verdict = 'undetermined';
    why = 'fewer than two checkpoints after the warm-up';
  } else if (!d.intervals.raw || !d.intervals.nullCorrected) {
    verdict = 'undetermined';
    why = `without per-prompt values there are no intervals to judge the stability by (τ ${fmt(raw)}, null-corrected ${fmt(z)}; against the block-permuted graphs z = ${fmt(s.z)}, p = ${fmtP(s.p)})`;
  } else if (beyond && zStable && ratio === null) {
    verdict = 'undetermined';
    why = `the ranking is stable beyond structure (z = ${fmt(s.z)}, null-corrected τ ${fmt(z)}), but the run after the warm-up is too short to measure whether the hierarchy persists over ${d.persistence.lag} checkpoints or more`;
  } else if (beyond && zStable && persists) {
    verdict = 'supported';
    why = `the ${name} ranking is more stable than on the block-permuted graphs (z = ${fmt(s.z)}, p = ${fmtP(s.p)} < ${perClaim}), stays stable once the architecture's share is removed (null-corrected τ ${fmt(z)}, ${fmtInterval(d.intervals.nullCorrected)}) and persists: ${fmt(d.persistence.nullCorrected)} at lags of ${d.persistence.lag} checkpoints or more (${fmt(ratio)} of the consecutive agreement)`;
  } else if (beyond && zStable) {
    verdict = 'not supported';
    why = `consecutive ${name} rankings agree beyond the architecture's share (z = ${fmt(s.z)}, null-corrected τ ${fmt(z)}), but the hierarchy does not persist: at lags of ${d.persistence.lag} checkpoints or more it keeps ${fmt(ratio)} of that agreement (τ ${fmt(d.persistence.nullCorrected)}; stable needs ${PERSISTENCE_RATIO}): it is reshuffled as training goes on`;
  } else if (rawStable) {
    verdict = 'not beyond structure';
    why = `the ${name} ranking is stable (τ ${fmt(raw)}, ${fmtInterval(d.intervals.raw)}) but no more than the layered architecture makes it: z = ${fmt(s.z)} against the block-permuted graphs (p = ${fmtP(s.p)}), null-corrected τ ${fmt(z)} ${fmtInterval(d.intervals.nullCorrected)}`;
  } else {
    verdict = 'not supported';
    why = `the ${name} ranking is not stable from checkpoint to checkpoint (τ ${fmt(raw)}, ${fmtInterval(d.intervals.raw)})`;
  }
  return {
    claim,
    statistic: `mean Kendall τ-b between consecutive checkpoints' ${name} rankings (out-/in-strength)`,
    value: raw,
    interval: d.intervals.raw,
    p: s.p,
    verdict,
    sentence: `${verdict[0].toUpperCase()}${verdict.slice(1)}: ${why}.`,
  };
}

/**
 * The findings of one run. See the module comment; `FINDINGS_DEFAULTS` holds the defaults.
 */
export function findings(input: FindingsInput, options: FindingsOptions = {}): FindingsResult {
  const o = { ...FINDINGS_DEFAULTS, ...options };
  const perClaim = o.level / TESTED_CLAIMS;
  const { steps, nodes, matrices } = input;
  const n = matrices.length;
  const w = input.phases.warmup;
  const boundaries = input.phases.boundaries;
  const segs = segments(n, w, boundaries);
  const unavailable: Record<string, string> = {};
  const allowed = allowedEdges(nodes, { parallelResidual: input.parallelResidual });
  const ranked = rankedComponents(nodes);

  // Observed rankings, raw and null-corrected.
  const raw = matrices.map((m) => roleScores(m, ranked));
  const strengthNull = new StrengthNull(nodes, allowed);
  const corrected = matrices.map((m) => {
    edgeArrays('findings', m, allowed, nodes); // checks that no weight lies off the allowed edges
    return zScores(m, strengthNull, ranked);
  });
  const stability = (role: Role, from: Record<Role, Float64Array>[]): RankStability => rankStability(from.map((s) => s[role]), w, segs);
  const observed = {
    spreader: { raw: stability('spreader', raw), nullCorrected: stability('spreader', corrected) },
    gatherer: { raw: stability('gatherer', raw), nullCorrected: stability('gatherer', corrected) },
  };
  const structure = Object.fromEntries(ROLES.map((role, k) => [role, structureTest(matrices, nodes, allowed, role, { from: w, draws: o.nullDraws, seed: o.seed + k })])) as Record<Role, StructureTest>;
  const hasInit = steps[0] === 0;
  const vsInit = (role: Role, scores: Record<Role, Float64Array>[]): number | null => (hasInit && n > 1 ? kendallTau(scores[0][role], scores[n - 1][role]) : null);

  // Instability of the roles per transition, for the juncture test.
  const instability = (sp: RankStability, ga: RankStability): (number | null)[] => sp.taus.map((v, t) => (v === null || ga.taus[t] === null ? null : 1 - (v + ga.taus[t]!) / 2));
  const junctures = junctureTest(instability(observed.spreader.raw, observed.gatherer.raw), boundaries, { from: w, minSize: input.phases.minSize, draws: o.junctureDraws, seed: o.seed + 7 });
  if (!junctures) unavailable.reconfiguration = boundaries.length === 0 ? 'no phase boundary to compare with' : 'no admissible random boundary set or no stability drop';

  // Tails per checkpoint.
  // The goodness-of-fit bootstrap is most of the cost: `tailDraws` (default 50, p to about ±0.07)
  // at every checkpoint, and at least tailTests' own default (250, ±0.03) at the final one, whose
  // p the verdict quotes.
  const seriesDraws = options.tailDraws ?? SERIES_TAIL_DRAWS;
  const tails = o.longTail
    ? matrices.map((m, t) => ({ step: steps[t], ...tailTests(edgeWeights(m), { seed: o.seed + t, draws: t === n - 1 ? Math.max(seriesDraws, TAIL_TEST_DEFAULTS.draws) : seriesDraws }) }))
    : matrices.map((_, t) => ({ step: steps[t], n: 0, nTail: 0, alpha: NaN, xmin: NaN, ks: NaN, gof: null, vsLognormal: null, vsExponential: null, unavailable: 'tail tests not run (longTail: false)' }));

  // Prompt resamples: every statistic again on each resampled series.
  const reps = {
    spreaderRaw: [] as number[], gathererRaw: [] as number[], spreaderZ: [] as number[], gathererZ: [] as number[],
    diffRaw: [] as number[], diffZ: [] as number[], initSpreader: [] as number[], initGatherer: [] as number[],
    juncture: [] as number[], finalAlpha: [] as number[],
  };
  const perPrompt = input.perPromptEdges;
  const prompts = perPrompt?.every((e) => e !== null && e !== undefined) ? promptCount(perPrompt as (number[] | null)[][][]) : 0;
  let resamplesUsed = 0;
  if (prompts > 1 && o.resamples > 0) {
    const draws = bootstrapCounts(prompts, o.resamples, o.seed + 11);
    for (const counts of draws) {
      const ms = (perPrompt as (number[] | null)[][][]).map((edges) => resampledMatrix(edges, counts));
      const r = ms.map((m) => roleScores(m, ranked));
      const c = ms.map((m) => zScores(m, strengthNull, ranked));
      const sr = rankStability(r.map((s) => s.spreader), w).mean;
      const gr = rankStability(r.map((s) => s.gatherer), w).mean;
      const sz = rankStability(c.map((s) => s.spreader), w);
      const gz = rankStability(c.map((s) => s.gatherer), w);
      const srFull = rankStability(r.map((s) => s.spreader), w);
      const grFull = rankStability(r.map((s) => s.gatherer), w);
      if (sr !== null) reps.spreaderRaw.push(sr);
      if (gr !== null) reps.gathererRaw.push(gr);
      if (sz.mean !== null) reps.spreaderZ.push(sz.mean);
      if (gz.mean !== null) reps.gathererZ.push(gz.mean);
      if (sr !== null && gr !== null) reps.diffRaw.push(sr - gr);
      if (sz.mean !== null && gz.mean !== null) reps.diffZ.push(sz.mean - gz.mean);
      if (hasInit && n > 1) {
        reps.initSpreader.push(kendallTau(r[0].spreader, r[n - 1].spreader));
        reps.initGatherer.push(kendallTau(r[0].gatherer, r[n - 1].gatherer));
      }
      if (junctures) {
        const drops = largestDrops(instability(srFull, grFull), boundaries.length);
        if (drops.length > 0) reps.juncture.push(meanDistance(drops, boundaries));
      }
      const fit = o.longTail ? fitPowerLawTail(edgeWeights(ms[n - 1]), TAIL_TEST_DEFAULTS.minTail).fit : null;
      if (fit && Number.isFinite(fit.alpha)) reps.finalAlpha.push(fit.alpha);
      resamplesUsed++;
    }
  } else {
    unavailable.intervals = prompts <= 1 ? 'no per-prompt values at every checkpoint (or a single prompt): no bootstrap intervals' : 'resamples set to 0';
  }

  const lag = Math.max(3, input.phases.minSize);
  const detail = (role: Role): RoleStabilityDetail => ({
    raw: observed[role].raw,
    nullCorrected: observed[role].nullCorrected,
    structure: structure[role],
    persistence: ((): RoleStabilityDetail['persistence'] => {
      const long = persistence(corrected.map((c) => c[role]), w, lag);
      const short = observed[role].nullCorrected.mean;
      return { lag, nullCorrected: long, ratio: long !== null && short !== null && short > 0 ? long / short : null };
    })(),
    vsInitialisation: hasInit ? { raw: vsInit(role, raw), nullCorrected: vsInit(role, corrected) } : null,
    intervals: {
      raw: interval(role === 'spreader' ? reps.spreaderRaw : reps.gathererRaw),
      nullCorrected: interval(role === 'spreader' ? reps.spreaderZ : reps.gathererZ),
    },
  });
  const spreader = detail('spreader');
  const gatherer = detail('gatherer');
  if (!hasInit) unavailable.initialisation = 'no step-0 checkpoint: no comparison with the random initialisation';

  // The difference spreaders − gatherers.
  const diffRaw = spreader.raw.mean !== null && gatherer.raw.mean !== null ? spreader.raw.mean - gatherer.raw.mean : null;
  const diffZ = spreader.nullCorrected.mean !== null && gatherer.nullCorrected.mean !== null ? spreader.nullCorrected.mean - gatherer.nullCorrected.mean : null;
  const difference = {
    raw: diffRaw,
    nullCorrected: diffZ,
    intervals: { raw: interval(reps.diffRaw), nullCorrected: interval(reps.diffZ) },
    p: { raw: bootstrapP(reps.diffRaw), nullCorrected: bootstrapP(reps.diffZ) },
  };
  const differenceFinding = ((): Finding => {
    const claim = 'spreaders are more stable than gatherers (stable spreaders, dynamic gatherers)';
    const statistic = 'mean consecutive τ-b of spreaders − of gatherers, on the null-corrected rankings';
    const base = { claim, statistic, value: diffZ, interval: difference.intervals.nullCorrected, p: difference.p.nullCorrected };
    if (diffZ === null) return { ...base, verdict: 'undetermined', sentence: 'Undetermined: fewer than two checkpoints after the warm-up.' };
    if (!difference.intervals.nullCorrected) {
      return { ...base, verdict: 'undetermined', sentence: `Undetermined: the difference is ${fmt(diffZ)} (raw ${fmt(diffRaw)}), but without per-prompt values there is no interval to judge it by.` };
    }
    const zLow = difference.intervals.nullCorrected[0];
    const rawLow = difference.intervals.raw?.[0] ?? -Infinity;
    if (zLow > 0 && (difference.p.nullCorrected ?? 1) < perClaim) {
      return { ...base, verdict: 'supported', sentence: `Supported: beyond the architecture's share, spreaders are more stable than gatherers by ${fmt(diffZ)} in τ ${fmtInterval(difference.intervals.nullCorrected)}, p = ${fmtP(difference.p.nullCorrected)}.` };
    }
    if (rawLow > 0) {
      return { ...base, verdict: 'not beyond structure', sentence: `Not beyond structure: raw spreader rankings are more stable than gatherer ones by ${fmt(diffRaw)} ${fmtInterval(difference.intervals.raw)}, but not once the architecture's share is removed (${fmt(diffZ)} ${fmtInterval(difference.intervals.nullCorrected)}).` };
    }
    return { ...base, verdict: 'not supported', sentence: `Not supported: the difference is ${fmt(diffZ)} ${fmtInterval(difference.intervals.nullCorrected)} on the null-corrected rankings (raw ${fmt(diffRaw)} ${fmtInterval(difference.intervals.raw)}).` };
  })();

  // Junctures.
  const junctureInterval = interval(reps.juncture);
  const reconfiguration = ((): Finding => {
    const claim = 'roles reconfigure at the key learning junctures (the phase boundaries)';
    const statistic = 'mean distance in checkpoints from the largest drops in role-ranking stability to the nearest boundary';
    if (!junctures) return { claim, statistic, value: null, interval: null, p: null, verdict: 'undetermined', sentence: `Undetermined: ${unavailable.reconfiguration}.` };
    const base = { claim, statistic, value: junctures.distance, interval: junctureInterval, p: junctures.p };
    const where = `the ${junctures.drops.length} largest drops (at steps ${junctures.drops.map((t) => steps[t]).join(', ')}) lie ${fmt(junctures.distance, 1)} checkpoints from a boundary on average, against ${fmt(junctures.nullMean, 1)} for random boundaries (p = ${fmtP(junctures.p)})`;
    if (junctures.minimumP >= perClaim) {
      return { ...base, verdict: 'undetermined', sentence: `Undetermined: ${where}; with so few places a boundary can fall, even drops exactly on the boundaries would give p = ${fmtP(junctures.minimumP)}, not below ${perClaim}.` };
    }
    return junctures.p < perClaim
      ? { ...base, verdict: 'supported', sentence: `Supported: ${where}.` }
      : { ...base, verdict: 'not supported', sentence: `Not supported: ${where}, not closer than chance at ${perClaim}.` };
  })();

  // Long tail.
  const phaseRanges = segs.map(([s, e], i) => ({ label: input.phases.labels[i] ?? `phase ${i + 1}`, s, e }));
  const share = (from: number, to: number, pick: (t: TailTestResult) => boolean | null): number | null => {
    const values = tails.slice(from, to).map(pick).filter((v): v is boolean => v !== null);
    return values.length > 0 ? values.filter(Boolean).length / values.length : null;
  };
  const longTailed = (t: TailTestResult): boolean | null => (t.vsExponential ? t.vsExponential.favours === 'power-law' : null);
  const tail: TailSummary = {
    perCheckpoint: tails,
    perPhase: phaseRanges.map(({ label, s, e }) => ({
      label,
      start: steps[s],
      end: steps[e - 1],
      longTailed: share(s, e, longTailed),
      plausiblePowerLaw: share(s, e, (t) => (t.gof ? t.gof.p >= 0.1 : null)),
      lognormalPreferred: share(s, e, (t) => (t.vsLognormal ? t.vsLognormal.lr < 0 : null)),
    })),
    finalAlpha: { value: Number.isFinite(tails[n - 1].alpha) ? tails[n - 1].alpha : null, interval: interval(reps.finalAlpha) },
  };
  const longTail = ((): Finding => {
    const claim = 'a long-tailed distribution of edge weights emerges with training';
    const statistic = 'Vuong likelihood-ratio statistic, power law vs exponential, on the tail of the final checkpoint';
    const last = tails[n - 1];
    const test = last.vsExponential;
    if (!test) return { claim, statistic, value: null, interval: null, p: null, verdict: 'undetermined', sentence: `Undetermined: ${last.unavailable ?? 'no tail test at the final checkpoint'}.` };
    // One-sided: the claim is that the tail is heavier than exponential.
    const pHeavy = test.lr > 0 ? test.p / 2 : 1 - test.p / 2;
    if (tail.perPhase.length < 2) {
      return { claim, statistic, value: test.statistic, interval: null, p: pHeavy, verdict: 'undetermined', sentence: `Undetermined: a single phase, so no emergence to test (final checkpoint: vs exponential R = ${fmt(test.lr)}, one-sided p = ${fmtP(pHeavy)}).` };
    }
    // Emergence: more long-tailed checkpoints in the last phase than in the first (Fisher's exact
    // test, one-sided). The claim needs both parts, so its p is the larger of the two
    // (an intersection–union test, valid without a further correction).
    const count = (from: number, to: number): [number, number] => {
      const flags = tails.slice(from, to).map(longTailed).filter((v): v is boolean => v !== null);
      return [flags.filter(Boolean).length, flags.length];
    };
    const [firstHeavy, firstAll] = count(segs[0][0], segs[0][1]);
    const [lastHeavy, lastAll] = count(segs[segs.length - 1][0], segs[segs.length - 1][1]);
    const pEmerges = fisherGreater(lastHeavy, lastAll, firstHeavy, firstAll);
    const p = Math.max(pHeavy, pEmerges);
    const base = { claim, statistic, value: test.statistic, interval: null, p };
    const heavy = pHeavy < perClaim;
    const emerges = pEmerges < perClaim;
    const lognormal = last.vsLognormal ? (last.vsLognormal.lr < 0 ? 'the log-normal fits the tail better than the power law' : 'the power law fits the tail at least as well as the log-normal') : 'no log-normal comparison';
    const numbers = `final checkpoint: α = ${fmt(last.alpha)} ${fmtInterval(tail.finalAlpha.interval)}, x_min = ${fmt(last.xmin, 4)}, ${last.nTail} of ${last.n} weights in the tail, GoF p = ${last.gof ? fmtP(last.gof.p) : 'n/a'}, vs exponential R = ${fmt(test.lr)} (one-sided p = ${fmtP(pHeavy)}); ${lognormal}; long-tailed checkpoints ${firstHeavy} of ${firstAll} in the first phase, ${lastHeavy} of ${lastAll} in the last (Fisher p = ${fmtP(pEmerges)})`;
    if (heavy && emerges) return { ...base, verdict: 'supported', sentence: `Supported: the weights end heavier-tailed than exponential and more checkpoints are so late than early (${numbers}).` };
    if (heavy) return { ...base, verdict: 'not supported', sentence: `Not supported as emerging: the final weights are heavier-tailed than exponential, but not significantly more often late than early (${numbers}).` };
    return { ...base, verdict: 'not supported', sentence: `Not supported: the final weights are not significantly heavier-tailed than exponential at ${perClaim} (${numbers}).` };
  })();

  // Role trajectories over the learning checkpoints, on the null-corrected strengths.
  // Components whose strengths the block null fixes (a layer's MLP) have no z at any checkpoint:
  // their all-zero trajectories would form a group of their own, so they are left out.
  const learning = corrected.slice(w);
  const defined = ranked.map((_, k) => learning.some((s) => s.spreader[k] !== 0 || s.gatherer[k] !== 0));
  const keep = ranked.map((_, k) => k).filter((k) => defined[k]);
  const pick = (v: Float64Array): Float64Array => Float64Array.from(keep, (k) => v[k]);
  const trajectories = clusterTrajectories(
    { out_strength_z: learning.map((s) => pick(s.spreader)), in_strength_z: learning.map((s) => pick(s.gatherer)) },
    keep.map((k) => nodes[ranked[k]]),
    { seed: o.seed },
  );

  return {
    settings: { resamples: o.resamples, nullDraws: o.nullDraws, junctureDraws: o.junctureDraws, level: o.level, seed: o.seed, longTail: o.longTail, tailDraws: options.tailDraws ?? null, perClaimLevel: perClaim, persistenceRatio: PERSISTENCE_RATIO, resamplesUsed, nullModel: 'block' },
    spreaderStability: roleVerdict('spreader', spreader, perClaim),
    gathererStability: roleVerdict('gatherer', gatherer, perClaim),
    stabilityDifference: differenceFinding,
    reconfiguration,
    longTail,
    details: {
      spreader, gatherer, difference, junctures: junctures ? { ...junctures, interval: junctureInterval } : null, tail, trajectories,
      beyondStructure: { step: steps[n - 1], spreaders: rankByZ(corrected[n - 1].spreader, ranked, nodes), gatherers: rankByZ(corrected[n - 1].gatherer, ranked, nodes) },
    },
    unavailable,
  };
}

/**
 * One-sided Fisher exact test that a (successes a of n) has a larger share than b (c of m): the
 * hypergeometric probability of a or more of the a + c successes falling in the first group.
 */
export function fisherGreater(a: number, n: number, c: number, m: number): number {
  const total = a + c;
  if (n === 0 || m === 0) return 1;
  const logChoose = (x: number, k: number): number => logFactorial(x) - logFactorial(k) - logFactorial(x - k);
  const denominator = logChoose(n + m, total);
  let p = 0;
  for (let k = a; k <= Math.min(n, total); k++) {
    if (total - k > m) continue;
    p += Math.exp(logChoose(n, k) + logChoose(m, total - k) - denominator);
  }
  return Math.min(1, p);
}

function logFactorial(x: number): number {
  let s = 0;
  for (let i = 2; i <= x; i++) s += Math.log(i);
  return s;
}

/** Components by z-score, highest first (ties by node order). */
function rankByZ(z: Float64Array, ranked: readonly number[], nodes: readonly string[]): { id: string; z: number }[] {
  return ranked.map((i, k) => ({ id: nodes[i], z: z[k], k })).sort((a, b) => b.z - a.z || a.k - b.k).map(({ id, z: value }) => ({ id, z: value }));
}

/** The common prompt count of per-prompt edge vectors (every non-null vector of every checkpoint). */
function promptCount(edges: readonly (readonly (readonly number[] | null)[])[][]): number {
  let count = -1;
  for (const matrix of edges) {
    for (const row of matrix) {
      for (const values of row) {
        if (values === null) continue;
        if (count < 0) count = values.length;
        else if (values.length !== count) throw new Error(`findings: per-prompt edges have ${values.length} prompts here and ${count} elsewhere`);
      }
    }
  }
  return Math.max(count, 0);
}
