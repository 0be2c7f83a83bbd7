/**
 * The typed input of the report renderer. The experiment pipeline gathers what the other stages
 * produced (influence matrices, network metrics, phases) into one `ReportData` and hands it to
 * `writeReport`. Everything a figure needs is here; nothing is read from disk by the renderer.
 *
 * Conventions
 * - Steps are training steps (numbers, strictly increasing over `checkpoints`).
 * - Node ids follow the rest of cntlens: `L{l}H{h}` (head h of layer l), `L{l}MLP`, `L{l}ATTN`,
 *   `LOGITS` (and `EMBED` if a producer adds one). Other ids are accepted and drawn in an extra column.
 * - A metric that is undefined at a checkpoint is `null` (NaN and ±Infinity are treated as null).
 */
import type { FindingsResult } from '../findings/findings.js';

/** A metric value; `null` where the metric is undefined at that checkpoint. */
export type MetricValue = number | null;

/** Behaviour metrics the report plots as behaviour curves (all optional in `metrics`). */
export const BEHAVIOUR_METRICS = ['loss_repeated', 'icl_score', 'induction_score_max'] as const;

export interface ReportCheckpoint {
  /** Training step of this checkpoint. */
  step: number;
  /** Display name (e.g. the checkpoint's revision `step1000`); defaults to `step {step}`. */
  name?: string;
  /**
   * Per-checkpoint scalar metrics: the behaviour metrics (`loss_repeated`, `icl_score`,
   * `induction_score_max`) and the graph metrics (`density`, `total_weight`, `modularity`, …).
   */
  metrics: Record<string, MetricValue>;
  /** Influence matrix, `[source][target]`, square, in the order of `ReportData.nodes`; 0 = no edge. */
  matrix: number[][];
  /** Per-node metrics (`out_strength`, `in_strength`, …), keyed by node id. Optional. */
  nodeMetrics?: Record<string, Record<string, MetricValue>>;
  /** Communities at this checkpoint (a partition of some or all nodes). Optional. */
  communities?: string[][];
}

export interface ReportPhase {
  /** First checkpoint step of the phase. */
  start: number;
  /** Last checkpoint step of the phase. */
  end: number;
  /** `exploration`, `consolidation`, `refinement` or any other label. */
  label: string;
  /** Per-phase statistics, shown in the phase table's folded details. */
  stats?: Record<string, MetricValue>;
  /** Why the phase got its label (the label rule that fired, with its numbers); optional. */
  reason?: string;
  /** Boundaries removed inside this phase because the phases on both sides had the same label; optional. */
  merged?: ReportMergedBoundary[];
}

export interface ReportMergedBoundary {
  /** Step of the removed boundary. */
  step: number;
  reason: string;
}

/** What changed at one phase boundary (phases.json `changes`). */
export interface ReportPhaseChange {
  /** Step of the boundary (the first step of the phase after it). */
  step: number;
  /** Checkpoint index of that step. */
  index: number;
  /** One sentence: what changed at this boundary. */
  summary: string;
  confidence: number | null;
  /** The metrics that changed most there, with their share of the change. */
  metrics: ReportChangeMetric[];
}

/** One metric's change at a boundary; a number is null where phases.json had none (NaN). */
export interface ReportChangeMetric {
  metric: string;
  /** Jump of the level at the boundary. */
  levelJump: MetricValue;
  slopeBefore: MetricValue;
  slopeAfter: MetricValue;
  /** Share of the whole change at this boundary, in [0, 1]. */
  share: MetricValue;
}

export interface ReportPhases {
  /** Steps where a new phase begins (the first step of phases[1], phases[2], …). */
  boundaries: number[];
  /** Phases in step order; together they cover the checkpoints. */
  phases: ReportPhase[];
  /** Confidence of each boundary in [0, 1] (same length as `boundaries`); optional. */
  confidence?: number[];
  /** One line naming the detection method, shown in the summary. */
  method?: string;
  /** One entry per boundary, saying what changed there; optional (older phases.json files lack it). */
  changes?: ReportPhaseChange[];
  /** The learning-rate warm-up left out of the phase search (drawn as a grey band before the first phase); optional. */
  warmup?: { start: number; end: number; beforeStep: number } | null;
}

/**
 * Ranked node ids per step (key: the step written as a decimal string, e.g. "1000"), best first.
 * When absent the report ranks nodes itself (see `writeReport`'s docs).
 */
export interface ReportRoles {
  spreaders: Record<string, string[]>;
  gatherers: Record<string, string[]>;
}

export interface ReportData {
  title: string;
  subtitle?: string;
  /** The run's configuration, echoed verbatim in the report's settings table. */
  settings: Record<string, unknown>;
  /** Node ids, in matrix order. */
  nodes: string[];
  /** Checkpoints in increasing step order. */
  checkpoints: ReportCheckpoint[];
  /** Learning phases over the checkpoint series; optional (no bands are drawn without it). */
  phases?: ReportPhases;
  /** Spreader / gatherer rankings; optional. */
  roles?: ReportRoles;
  /** Graph metrics to plot, in order; default: every non-behaviour metric, in first-seen order. */
  graphMetrics?: string[];
  /** Free-text summary lines shown at the top of the report. */
  summary?: string[];
  /**
   * The study's claims as tested statistics (`findings()` of lib/findings), shown first in the
   * report as the Findings section; optional (older runs have none: no section).
   */
  findings?: FindingsResult;
}

/** The findings block of `ReportData` (lib/findings' `FindingsResult`). */
export type ReportFindings = FindingsResult;

/** Options of `writeReport`. */
export interface ReportOptions {
  /** Write the static figures (SVG and PNG) too; default true. */
  figures?: boolean;
  /** Folder for the static figures, relative to outDir; default `figures`. */
  figureDir?: string;
  /** PNG pixel density relative to the SVG size; default 2. */
  pngScale?: number;
  /** Nodes per rank chart; default 5. */
  topK?: number;
  /** Edges drawn in the component graph per checkpoint; default min(3 × number of nodes, 150). */
  graphEdges?: number;
  /** Step axis: `auto` (symmetric log when steps span ≥ 2 decades), `linear` or `log`; default auto. */
  stepScale?: 'auto' | 'linear' | 'log';
  /** Nodes left out of derived gatherer rankings; default [`LOGITS`] (it gathers everything). */
  roleExclude?: string[];
  /** Name used in error messages for the data (e.g. the results folder); default `report data`. */
  source?: string;
}

/** What `writeReport` wrote. */
export interface ReportOutput {
  html: string;
  figures: { name: string; svg: string; png: string }[];
  /** Warnings of the Vega-Lite compiler and of Vega while rendering (empty when all is well). */
  warnings: string[];
}
