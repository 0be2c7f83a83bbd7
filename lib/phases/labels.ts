/**
 * Descriptive statistics of each phase and the rules that name it exploration, consolidation or
 * refinement. The rules are relative (each phase is compared with the others of the same run) and
 * the statistics are reported beside the label, so a reader can check or overrule it.
 *
 * Rules (thresholds in LABEL_RULES, docs/phases.md "Phase labels"):
 * - relative speed = the phase's change speed / the fastest phase's; relative volatility likewise
 *   for role volatility; activity = the mean of the relative values available;
 * - activity ≥ 0.5 → exploration (the graph and the roles move at least half as much as in the
 *   most active phase);
 * - activity < 0.2 → refinement (under a fifth of the most active phase), unless influence is
 *   still concentrating (the Gini coefficient rises by ≥ 0.05 over the phase) → consolidation;
 * - otherwise → consolidation;
 * - with a single phase, or no speed at all, the label is "undetermined": relative rules need
 *   something to compare with.
 */
import { slope } from './axis.js';

export type PhaseLabel = 'exploration' | 'consolidation' | 'refinement' | 'undetermined';

export const LABEL_RULES = {
  /** Activity at or above this: exploration. */
  exploration: 0.5,
  /** Activity below this: refinement (unless concentration still rises). */
  refinement: 0.2,
  /** A Gini rise at least this large over a low-activity phase makes it consolidation. */
  concentrationRise: 0.05,
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
  /** Mean normalised distance between consecutive influence matrices inside the phase. */
  graphChange: number | null;
  /** Mean RMS change of the standardised metrics between consecutive checkpoints inside the phase. */
  metricChange: number | null;
  /** The change speed the label uses, and which of the two it is. */
  speed: number | null;
  speedSource: 'graphChange' | 'metricChange' | null;
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
  /** Filled by labelPhases: speed and volatility relative to the most active phase, and their mean. */
  relativeSpeed: number | null;
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
export function segmentStats(dyn: DynamicsSeries, start: number, end: number, reasons: Record<string, string> = {}): PhaseStats {
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
  return {
    checkpoints: end - start,
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

/**
 * Labels phases (in time order) from their statistics by the rules of the module comment. The
 * speed is the graph change when every phase with a transition has it, else the metric change.
 */
export function labelPhases(phases: readonly PhaseStats[], rules: Partial<LabelRules> = {}): LabelledPhase[] {
  const r: LabelRules = { ...LABEL_RULES, ...rules };
  const withTransitions = phases.filter((p) => p.checkpoints >= 2);
  const useGraph = withTransitions.length > 0 && withTransitions.every((p) => p.graphChange !== null);
  const speedSource: PhaseStats['speedSource'] = useGraph ? 'graphChange' : withTransitions.some((p) => p.metricChange !== null) ? 'metricChange' : null;
  const speeds = phases.map((p) => (speedSource === null ? null : p[speedSource]));
  const volatilityKnown = withTransitions.length > 0 && withTransitions.every((p) => p.roleVolatility !== null);
  const relativeSpeed = relativeToMax(speeds);
  const relativeVolatility = volatilityKnown ? relativeToMax(phases.map((p) => p.roleVolatility)) : phases.map(() => null);
  return phases.map((p, i) => {
    const parts = [relativeSpeed[i], relativeVolatility[i]].filter((v): v is number => v !== null);
    const activity = parts.length > 0 ? parts.reduce((a, b) => a + b, 0) / parts.length : null;
    const stats: PhaseStats = {
      ...p,
      speed: speeds[i],
      speedSource,
      relativeSpeed: relativeSpeed[i],
      relativeVolatility: relativeVolatility[i],
      activity,
    };
    return { ...decide(stats, phases.length, r), stats };
  });
}

function decide(s: PhaseStats, phaseCount: number, r: LabelRules): { label: PhaseLabel; reason: string } {
  if (phaseCount < 2) return { label: 'undetermined', reason: 'a single phase: the labels compare phases with each other' };
  if (s.activity === null) return { label: 'undetermined', reason: 'no change speed or role volatility could be measured in this phase' };
  const a = s.activity.toFixed(2);
  const parts = [`speed ${fmt(s.relativeSpeed)} of the fastest phase`];
  if (s.relativeVolatility !== null) parts.push(`role volatility ${fmt(s.relativeVolatility)} of the most volatile`);
  const basis = `activity ${a} (${parts.join(', ')})`;
  if (s.activity >= r.exploration) return { label: 'exploration', reason: `${basis} >= ${r.exploration}` };
  if (s.activity < r.refinement) {
    if (s.giniChange !== null && s.giniChange >= r.concentrationRise) {
      return { label: 'consolidation', reason: `${basis} < ${r.refinement}, but the Gini coefficient still rises by ${s.giniChange.toFixed(3)} >= ${r.concentrationRise}` };
    }
    return { label: 'refinement', reason: `${basis} < ${r.refinement}` };
  }
  return { label: 'consolidation', reason: `${basis} between ${r.refinement} and ${r.exploration}` };
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
