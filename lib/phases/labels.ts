/**
 * Descriptive statistics of each phase and the rules that name it exploration, consolidation or
 * refinement. The labels describe regimes of change, compared within the run, and every label
 * keeps its statistics and the rule that fired beside it, so a reader can check or overrule it.
 *
 * Statistics (per phase):
 * - speed: how fast the metrics move — the root mean square over the detection metrics of the
 *   phase's fitted slope, in noise standard deviations per checkpoint (a flat phase is ≈ 0 however
 *   noisy; a phase-to-phase difference of means does not enter);
 * - graphChange: mean normalised distance between consecutive influence matrices;
 * - roleVolatility: 1 − mean Kendall τ-b between consecutive spreader (and gatherer) rankings;
 * - giniChange / topShareChange: the fitted rise of the concentration of influence over the phase.
 * Each of speed, graph change and role volatility is divided by its largest value among the
 * phases; activity = the mean of those relative values that exist.
 *
 * Rules (thresholds in LABEL_RULES, docs/phases.md "Phase labels"):
 * - activity ≥ 0.5 → exploration: the graph and the roles move at least half as much as in the
 *   most active phase;
 * - else, influence concentrating (Gini or top-10% share rising by ≥ 0.02 over the phase) →
 *   consolidation: concentration rises while the roles settle;
 * - else activity < 0.25 → refinement: slow change and stable roles;
 * - else → consolidation: change slowing and roles settling, without concentration rising;
 * - a single phase, or no statistic at all, is "undetermined": the rules compare phases.
 * Two neighbouring phases with the same label stay apart only when the boundary between them is
 * significant — found again in at least keepApart (95%) of the perturbed analyses — and separates
 * different rates: one side's activity at least keepApartRatio (2) times the other's. Otherwise
 * they are one regime cut by a bend of its trends, and analyzeSeries merges them.
 */
import { slope } from './axis.js';

export type PhaseLabel = 'exploration' | 'consolidation' | 'refinement' | 'undetermined';

export const LABEL_RULES = {
  /** Activity at or above this: exploration. */
  exploration: 0.5,
  /** Activity below this: refinement (unless concentration still rises). */
  refinement: 0.25,
  /** A rise of the Gini coefficient or of the top-10% share at least this large over a phase makes it consolidation. */
  concentrationRise: 0.02,
  /** Neighbouring phases with the same label stay apart only when their boundary's confidence reaches this… */
  keepApart: 0.95,
  /** …and one side's activity is at least this many times the other's. */
  keepApartRatio: 2,
} as const;

export type LabelRules = { -readonly [K in keyof typeof LABEL_RULES]: number };

/** Per-checkpoint dynamics; transition series are indexed by the later checkpoint (index 0 = null). */
export interface DynamicsSeries {
  steps: number[];
  axis: number[];
  /** Normalised distance between consecutive influence matrices. */
  graphChange: (number | null)[];
  /** RMS over metrics of the change of the standardised metrics between consecutive checkpoints. */
  metricChange: (number | null)[];
  /** Kendall τ-b of spreader / gatherer scores with the previous checkpoint. */
  spreaderStability: (number | null)[];
  gathererStability: (number | null)[];
  /** Jaccard of the top-k spreader / gatherer sets with the previous checkpoint. */
  spreaderJaccard: (number | null)[];
  gathererJaccard: (number | null)[];
  /** Concentration of influence at each checkpoint. */
  gini: (number | null)[];
  topShare: (number | null)[];
}

export interface PhaseStats {
  checkpoints: number;
  /** RMS over the detection metrics of the fitted slope, in noise standard deviations per checkpoint. */
  trendSpeed: number | null;
  /** Mean normalised distance between consecutive influence matrices inside the phase. */
  graphChange: number | null;
  /** Mean RMS change of the standardised metrics between consecutive checkpoints inside the phase. */
  metricChange: number | null;
  /** The change speed the label uses (the trend speed; the metric change when no fit exists), and which it is. */
  speed: number | null;
  speedSource: 'trendSpeed' | 'metricChange' | null;
  /** Mean 1 − Kendall τ-b between consecutive spreader / gatherer rankings, and their mean. */
  spreaderVolatility: number | null;
  gathererVolatility: number | null;
  roleVolatility: number | null;
  /** Mean Jaccard of consecutive top-k spreader / gatherer sets (1 = the same set throughout). */
  spreaderJaccard: number | null;
  gathererJaccard: number | null;
  /** Mean Gini coefficient, and its change over the phase (least-squares slope on the axis × span). */
  giniMean: number | null;
  giniChange: number | null;
  /** Same for the top-10% share. */
  topShareMean: number | null;
  topShareChange: number | null;
  /** Filled by labelPhases: speed, graph change and role volatility relative to the largest among the phases, and their mean. */
  relativeSpeed: number | null;
  relativeGraphChange: number | null;
  relativeVolatility: number | null;
  activity: number | null;
  /** Why a statistic is null. */
  unavailable: Record<string, string>;
}

function meanOf(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

/** Fitted change of y over the phase: least-squares slope on the axis × the phase's axis span. */
function trendChange(axis: readonly number[], y: readonly (number | null)[]): number | null {
  const x: number[] = [];
  const v: number[] = [];
  y.forEach((value, i) => {
    if (value !== null && Number.isFinite(value)) {
      x.push(axis[i]);
      v.push(value);
    }
  });
  if (x.length < 2) return null;
  const b = slope(x, v);
  return Number.isFinite(b) ? b * (x[x.length - 1] - x[0]) : null;
}

/**
 * Statistics of the phase made of checkpoints [start, end). Only transitions inside the phase
 * count (the jump across its first boundary belongs to the boundary, not to either phase).
 * `reasons` says why whole series are missing (no matrices, no node metrics, …).
 */
export function segmentStats(dyn: DynamicsSeries, start: number, end: number, reasons: Record<string, string> = {}, trendSpeed: number | null = null): PhaseStats {
  const inside = <T>(series: readonly T[]): T[] => series.slice(start + 1, end);
  const atCheckpoints = <T>(series: readonly T[]): T[] => series.slice(start, end);
  const unavailable: Record<string, string> = {};
  const stat = (name: string, value: number | null, why: string): number | null => {
    if (value === null) unavailable[name] = reasons[name] ?? why;
    return value;
  };
  const oneCheckpoint = 'the phase has a single checkpoint, so no transition inside it';
  const graphChange = stat('graphChange', meanOf(inside(dyn.graphChange)), end - start < 2 ? oneCheckpoint : 'no influence matrices');
  const metricChange = stat('metricChange', meanOf(inside(dyn.metricChange)), oneCheckpoint);
  const spreaderTau = meanOf(inside(dyn.spreaderStability));
  const gathererTau = meanOf(inside(dyn.gathererStability));
  const noRanks = end - start < 2 ? oneCheckpoint : 'no node-level metrics';
  const spreaderVolatility = stat('spreaderVolatility', spreaderTau === null ? null : 1 - spreaderTau, noRanks);
  const gathererVolatility = stat('gathererVolatility', gathererTau === null ? null : 1 - gathererTau, noRanks);
  const roleVolatility = stat('roleVolatility', meanOf([spreaderVolatility, gathererVolatility]), noRanks);
  const spreaderJaccard = stat('spreaderJaccard', meanOf(inside(dyn.spreaderJaccard)), noRanks);
  const gathererJaccard = stat('gathererJaccard', meanOf(inside(dyn.gathererJaccard)), noRanks);
  const noConcentration = 'no node strengths, influence matrices or concentration metrics';
  const giniMean = stat('giniMean', meanOf(atCheckpoints(dyn.gini)), noConcentration);
  const giniChange = stat('giniChange', trendChange(atCheckpoints(dyn.axis), atCheckpoints(dyn.gini)), end - start < 2 ? oneCheckpoint : noConcentration);
  const topShareMean = stat('topShareMean', meanOf(atCheckpoints(dyn.topShare)), noConcentration);
  const topShareChange = stat('topShareChange', trendChange(atCheckpoints(dyn.axis), atCheckpoints(dyn.topShare)), end - start < 2 ? oneCheckpoint : noConcentration);
  if (trendSpeed === null) unavailable.trendSpeed = reasons.trendSpeed ?? (end - start < 2 ? oneCheckpoint : 'no fitted trend');
  return {
    checkpoints: end - start,
    trendSpeed,
    graphChange,
    metricChange,
    speed: null,
    speedSource: null,
    spreaderVolatility,
    gathererVolatility,
    roleVolatility,
    spreaderJaccard,
    gathererJaccard,
    giniMean,
    giniChange,
    topShareMean,
    topShareChange,
    relativeSpeed: null,
    relativeGraphChange: null,
    relativeVolatility: null,
    activity: null,
    unavailable,
  };
}

export interface LabelledPhase {
  label: PhaseLabel;
  /** The rule that fired, with its numbers. */
  reason: string;
  stats: PhaseStats;
}

/** Value / the largest value among the phases (null stays null; all zero → 0). */
function relativeToMax(values: readonly (number | null)[]): (number | null)[] {
  const present = values.filter((v): v is number => v !== null);
  const top = present.length > 0 ? Math.max(...present) : 0;
  return values.map((v) => (v === null ? null : top > 0 ? v / top : 0));
}

/** Relative values of one statistic, or nulls unless every phase with a transition has it. */
function relativeAmong(phases: readonly PhaseStats[], pick: (p: PhaseStats) => number | null): (number | null)[] {
  const withTransitions = phases.filter((p) => p.checkpoints >= 2);
  const known = withTransitions.length > 0 && withTransitions.every((p) => pick(p) !== null);
  return known ? relativeToMax(phases.map(pick)) : phases.map(() => null);
}

/** Labels phases (in time order) from their statistics by the rules of the module comment. */
export function labelPhases(phases: readonly PhaseStats[], rules: Partial<LabelRules> = {}): LabelledPhase[] {
  const r: LabelRules = { ...LABEL_RULES, ...rules };
  const withTransitions = phases.filter((p) => p.checkpoints >= 2);
  const useTrend = withTransitions.length > 0 && withTransitions.every((p) => p.trendSpeed !== null);
  const speedSource: PhaseStats['speedSource'] = useTrend ? 'trendSpeed' : withTransitions.some((p) => p.metricChange !== null) ? 'metricChange' : null;
  const speeds = phases.map((p) => (speedSource === null ? null : p[speedSource]));
  const relativeSpeed = speedSource === null ? phases.map(() => null) : relativeToMax(speeds);
  const relativeGraphChange = relativeAmong(phases, (p) => p.graphChange);
  const relativeVolatility = relativeAmong(phases, (p) => p.roleVolatility);
  return phases.map((p, i) => {
    const parts = [relativeSpeed[i], relativeGraphChange[i], relativeVolatility[i]].filter((v): v is number => v !== null);
    const activity = parts.length > 0 ? parts.reduce((a, b) => a + b, 0) / parts.length : null;
    const stats: PhaseStats = {
      ...p,
      speed: speeds[i],
      speedSource,
      relativeSpeed: relativeSpeed[i],
      relativeGraphChange: relativeGraphChange[i],
      relativeVolatility: relativeVolatility[i],
      activity,
    };
    return { ...decide(stats, phases.length, r), stats };
  });
}

/** The larger rise of the two concentration measures over the phase, and which it is. */
function concentrationRise(s: PhaseStats): { value: number; name: string } | null {
  const rises = [
    s.giniChange === null ? null : { value: s.giniChange, name: 'Gini coefficient' },
    s.topShareChange === null ? null : { value: s.topShareChange, name: 'top-10% share' },
  ].filter((v): v is { value: number; name: string } => v !== null);
  return rises.length === 0 ? null : rises.reduce((a, b) => (b.value > a.value ? b : a));
}

function decide(s: PhaseStats, phaseCount: number, r: LabelRules): { label: PhaseLabel; reason: string } {
  if (phaseCount < 2) return { label: 'undetermined', reason: 'a single phase: the labels compare phases with each other' };
  if (s.activity === null) return { label: 'undetermined', reason: 'no change speed, graph change or role volatility could be measured in this phase' };
  const parts = [`speed ${fmt(s.relativeSpeed)} of the fastest phase`];
  if (s.relativeGraphChange !== null) parts.push(`graph change ${fmt(s.relativeGraphChange)} of the largest`);
  if (s.relativeVolatility !== null) parts.push(`role volatility ${fmt(s.relativeVolatility)} of the most volatile`);
  const basis = `activity ${s.activity.toFixed(2)} (${parts.join(', ')})`;
  if (s.activity >= r.exploration) return { label: 'exploration', reason: `${basis} >= ${r.exploration}: fast change of the graph and volatile roles` };
  const rise = concentrationRise(s);
  if (rise && rise.value >= r.concentrationRise) {
    return { label: 'consolidation', reason: `${basis} < ${r.exploration}, and the ${rise.name} rises by ${rise.value.toFixed(3)} >= ${r.concentrationRise}: influence concentrates while the roles settle` };
  }
  const flat = !rise ? 'no concentration measure' : rise.value > 0 ? `the ${rise.name} rises by only ${rise.value.toFixed(3)} < ${r.concentrationRise}` : `the concentration does not rise (${rise.name} ${rise.value.toFixed(3)})`;
  if (s.activity < r.refinement) return { label: 'refinement', reason: `${basis} < ${r.refinement}, ${flat}: slow change and stable roles` };
  return { label: 'consolidation', reason: `${basis} between ${r.refinement} and ${r.exploration}, ${flat}: change slowing and roles settling` };
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(2);
}

/**
 * Normalised distance between two influence matrices: ‖A − B‖_F / √((‖A‖²_F + ‖B‖²_F) / 2), in
 * [0, 2]: 0 = identical, √2 = unrelated of equal size, 2 = B = −A. 0 when both are zero.
 */
export function matrixDistance(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  if (a.length !== b.length) throw new Error(`matrixDistance: ${a.length} vs ${b.length} rows`);
  let diff = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) throw new Error(`matrixDistance: row ${i} has ${a[i].length} vs ${b[i].length} columns`);
    for (let j = 0; j < a[i].length; j++) {
      diff += (a[i][j] - b[i][j]) ** 2;
      na += a[i][j] ** 2;
      nb += b[i][j] ** 2;
    }
  }
  const norm = Math.sqrt((na + nb) / 2);
  return norm > 0 ? Math.sqrt(diff) / norm : 0;
}
