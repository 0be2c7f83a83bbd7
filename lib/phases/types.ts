/**
 * Types of the learning-dynamics analysis (lib/phases): what the pipeline or the CLI gives per
 * checkpoint, the options, and the result written as phases.json.
 */
import type { TrackedCommunity, CommunityFlow } from './communities.js';
import type { SegmentModel } from './costs.js';
import type { BoundaryShape } from './refine.js';
import type { BoundaryChange } from './boundaries.js';
import type { BootstrapOptions, SweepOptions } from './confidence.js';
import type { DynamicsSeries, LabelRules, PhaseLabel, PhaseStats } from './labels.js';
import type { ReconfigurationOptions, Role, RoleMetrics, RoleSeries } from './roles.js';

/** Time axis for trends and plots. Change points are always searched in checkpoint order. */
export type AxisKind = 'index' | 'step' | 'logstep';
export type AxisOption = AxisKind | 'auto';

export type ChangePointMethod = 'pelt' | 'binseg';

/** How the noise scale is re-estimated from the residuals: independent (white) or with their serial correlation (long-run). */
export type NoiseModel = 'white' | 'long-run';

/** Node-level metrics of one checkpoint: node id → metric name → value. */
export type NodeMetrics = Record<string, Record<string, number>>;

/** Everything known about one training checkpoint. */
export interface CheckpointInput {
  /** Training step (Pythia: 0, 1, 2, 4 … 512, 1000, 2000 … 143000). */
  step: number;
  /**
   * Graph-level metrics (lib/network) and behaviour metrics (e.g. loss_repeated, icl_score,
   * induction_score_max), by name. Every checkpoint must have the same names.
   */
  metrics: Record<string, number>;
  /** Node-level metrics (in_strength, out_strength, betweenness, …) by node id. */
  nodes?: NodeMetrics;
  /**
   * Influence matrix [source][target]: matrix[i][j] = influence of node i (ablated) on node j.
   * Used for the graph-change speed; with nodeIds (and without nodes) also for in/out strength.
   */
  matrix?: number[][];
  /** Node id of each matrix row/column. */
  nodeIds?: string[];
  /** Community partition: lists of node ids. */
  communities?: string[][];
  /**
   * Per-prompt replicates: metric name → value of that metric on each prompt alone, the prompts
   * in the same order at every checkpoint. Enables the prompt bootstrap of the confidence.
   */
  perPrompt?: Record<string, number[]>;
  /**
   * Bootstrap replicates of the metrics: metric name → its value recomputed on each of R bootstrap
   * resamples of the prompts; resample r is the same draw of prompts at every checkpoint.
   */
  replicates?: Record<string, number[]>;
}

export interface ChangePointOptions {
  /** 'pelt' (default, exact) or 'binseg' (binary segmentation). */
  method?: ChangePointMethod;
  /** Per-segment model: 'linear' (default: own intercept and slope per metric) or 'constant' (own mean). */
  model?: SegmentModel;
  /** Time value of each row, which the linear model regresses on (default: the row index). */
  x?: readonly number[];
  /** Penalty β per boundary, on the standardised cost. Default: defaultPenalty(n, d, model). */
  penalty?: number;
  /** Minimum checkpoints per segment (default 3; at least 3 for the linear model). */
  minSize?: number;
  /** Re-estimations of the noise scale from within-segment residuals (default 3; 0 = robust scale only). */
  maxRefinements?: number;
  /** Residual noise of the scale re-estimation: 'white' (default: independent) or 'long-run' (serial correlation counted, Bartlett kernel). */
  noise?: NoiseModel;
}

export interface ChangePointSegment {
  /** First row (checkpoint index) of the segment. */
  start: number;
  /** One past the last row. */
  end: number;
  /** Mean of every input column over the segment, in the input's units. */
  means: number[];
  /** Fitted slope of every input column per average checkpoint gap on x (0 for the constant model). */
  slopes: number[];
  /** The fit's value at the segment's first and last row, per input column. */
  first: number[];
  last: number[];
}

export interface ChangePointResult {
  /** Row indices where a new segment starts, ascending. */
  boundaries: number[];
  /** Per boundary: a continuous change of slope ('knot') or a change with a level jump ('jump'; always, for the constant model). */
  shapes: BoundaryShape[];
  segments: ChangePointSegment[];
  penalty: number;
  minSize: number;
  method: ChangePointMethod;
  model: SegmentModel;
  /** Input columns used (not constant). */
  used: number[];
  /** Input columns dropped, with the reason. */
  dropped: { column: number; reason: string }[];
  /** Per used column: median and final noise scale of the standardisation. */
  center: number[];
  scale: number[];
  /** How many times the noise scale was re-estimated from residuals. */
  refinements: number;
}

// ---- analyzeSeries: options and result (phases.json) ----

export interface AnalyzeOptions extends Omit<ChangePointOptions, 'x'> {
  /**
   * Training steps of the optimiser's learning-rate warm-up (default 0): checkpoints before this
   * step form a declared warm-up segment, reported and plotted but not searched for phases — the
   * model barely moves there because its step size is still ramping, not because of how it learns.
   */
  warmup?: number;
  /** Time axis for trends and plots (default 'auto'). */
  axis?: AxisOption;
  /** Metrics that enter the change-point detection (default: every metric finite at every checkpoint). */
  metrics?: string[];
  /** Behaviour metrics whose steepest change is reported (default loss_repeated, icl_score, induction_score_max). */
  behaviourMetrics?: string[];
  /** Node metric scoring each role (default out_strength, in_strength, betweenness). */
  roleMetrics?: Partial<RoleMetrics>;
  /** Size of the top spreader / gatherer sets (default: 10% of the nodes, at least 1). */
  topK?: number;
  /** Where the concentration of influence comes from (default: the spreader metric of the nodes, else graph metrics gini / top10_share). */
  concentration?: { nodeMetric?: string; giniMetric?: string; topShareMetric?: string };
  /** Boundary confidence: 'auto' (bootstrap when per-prompt values exist, else penalty sweep). */
  confidence?: BootstrapOptions & { method?: 'auto' | 'bootstrap' | 'sweep'; sweep?: SweepOptions };
  labelRules?: Partial<LabelRules>;
  reconfiguration?: ReconfigurationOptions;
  /** Minimum Jaccard overlap for a community to keep its id (default 0: any overlap). */
  communityMinJaccard?: number;
  /** Names the input in error messages (a file name). */
  source?: string;
}

export interface PhaseSummary {
  /** Step of the first and of the last checkpoint of the phase (both included). */
  start: number;
  end: number;
  startIndex: number;
  endIndex: number;
  checkpoints: number;
  label: PhaseLabel;
  /** The label rule that fired, with its numbers. */
  labelReason: string;
  stats: PhaseStats;
  /** Mean of every detection metric over the phase, in its own units. */
  means: Record<string, number>;
  /** Boundaries inside this phase that were removed because both sides had the same label, with why. */
  merged: { step: number; reason: string }[];
}

export interface BehaviourEvent {
  metric: string;
  /** The steepest transition: from previousStep to step (index = checkpoint index of step). */
  step: number;
  previousStep: number;
  index: number;
  /** Signed change over that transition (negative = drop). */
  change: number;
  /** Nearest phase boundary, offset in checkpoints (index − boundary index). */
  nearestBoundary: { step: number; offset: number } | null;
}

export interface ReconfigurationAlignment {
  role: Role;
  step: number;
  previousStep: number;
  /** Kendall τ-b between the rankings at previousStep and step. */
  stability: number;
  z: number;
  nearestBoundary: { step: number; offset: number } | null;
  /** Offset in checkpoints from each behaviour event. */
  behaviour: { metric: string; step: number; offset: number }[];
}

export interface RolesOverTime {
  topK: number;
  metrics: RoleMetrics;
  /** One per role whose metric exists at every checkpoint. */
  series: RoleSeries[];
  /** Roles left out, with the reason. */
  unavailable: Partial<Record<Role, string>>;
  /** Every role's reconfigurations, largest z first, aligned with boundaries and behaviour events. */
  reconfigurations: ReconfigurationAlignment[];
}

export interface CommunityTracking {
  minJaccard: number;
  tracked: { step: number; communities: TrackedCommunity[] }[];
  /** Flows between consecutive partitions (alluvial plot links). */
  flows: CommunityFlow[];
}

export interface PhasesSettings {
  checkpoints: number;
  /** Warm-up steps left out of the phase search (0 = none). */
  warmup: number;
  /** The input was not in ascending step order and was sorted. */
  reorderedInput: boolean;
  method: ChangePointMethod;
  /** The per-phase model: own line (linear) or own level (constant) per metric. */
  model: SegmentModel;
  penalty: number;
  penaltySource: 'default' | 'user';
  penaltyDefault: number;
  penaltyFormula: string;
  minSize: number;
  axis: { requested: AxisOption; used: AxisKind; reason: string };
  /** Metrics the detection used, and those left out with the reason. */
  metrics: string[];
  droppedMetrics: { metric: string; reason: string }[];
  /** Noise standard deviation of each metric, in its own units (the standardisation's scale). */
  noiseScale: Record<string, number>;
  scaleRefinements: number;
  confidence:
    | { method: 'bootstrap'; source: 'replicates' | 'per-prompt'; tolerance: number; replicates: number; seed: number | null; prompts: number | null; metrics: string[] }
    | { method: 'penalty-sweep'; tolerance: number; penalties: [number, number]; steps: number };
  labelRules: LabelRules;
  topK: number;
  roleMetrics: RoleMetrics;
  reconfiguration: Required<ReconfigurationOptions>;
  /** Where the Gini / top-share come from, or null. */
  concentration: string | null;
  behaviourMetrics: string[];
}

/** The result of analyzeSeries, written as phases.json. */
export interface PhasesResult {
  /** Step of the first checkpoint of each new phase. */
  boundaries: number[];
  phases: PhaseSummary[];
  /** Per boundary: fraction of perturbed analyses that find it again within ± tolerance checkpoints. */
  confidence: number[];
  /** Per boundary: what changed there (the metrics that moved, their slopes and jumps) in one sentence and in numbers. */
  changes: BoundaryChange[];
  /** The declared warm-up segment (checkpoints before step `beforeStep`), or null. */
  warmup: { beforeStep: number; start: number; end: number; checkpoints: number } | null;
  /** Every boundary the detection found, before neighbouring phases with the same label were merged. */
  detected: { step: number; shape: BoundaryShape; confidence: number | null }[];
  settings: PhasesSettings;
  /** Per-checkpoint dynamics behind the phase statistics (for plots). */
  series: DynamicsSeries;
  behaviour: BehaviourEvent[];
  roles: RolesOverTime | null;
  communities: CommunityTracking | null;
  /** Why a section or statistic is missing. */
  unavailable: Record<string, string>;
}
