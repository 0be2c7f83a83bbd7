/**
 * The series stage of the experiment: from the per-checkpoint records to metrics.csv, nodes.csv,
 * phases.json and the report. Pure functions of the records (and the influence matrices), so a
 * rerun, a resumed run and a merge of shards give the same files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findings, type FindingsResult } from '../findings/findings.js';
import { allowedEdges, layerNormalisedStrength } from '../network/null-models.js';
import { roleZScores } from '../network/role-z.js';
import { analyzeSeries } from '../phases/analyze.js';
import type { CheckpointInput, PhasesResult } from '../phases/types.js';
import type { ReportData } from '../report/types.js';
import { toCsv, type CsvCell } from '../util/csv.js';
import { DEFAULT_EXPERIMENT_CONFIG, type ExperimentConfig } from './config.js';
import { resolveTrainConfig } from '../train/config.js';
import { BEHAVIOUR_COLUMNS, GRAPH_COLUMNS, graphColumns } from './metrics.js';
import { influenceFile, type CheckpointRecord } from './records.js';
import type { PerPromptValues } from './replicates.js';

export { BEHAVIOUR_COLUMNS, GRAPH_COLUMNS } from './metrics.js';
export const NODE_COLUMNS = [
  'in_strength', 'out_strength', 'in_degree', 'out_degree', 'pagerank', 'hub', 'authority', 'betweenness',
  'closeness_in', 'closeness_out', 'clustering', 'katz', 'eigenvector',
] as const;

/** One row of metrics.csv: step, behaviour metrics, graph metrics (null where undefined). */
export function metricsRow(record: CheckpointRecord): Record<string, number | null> {
  return {
    step: record.step,
    loss_repeated: record.behaviour.loss_repeated,
    icl_score: record.behaviour.icl_score,
    induction_score_max: record.behaviour.induction_score_max,
    ...graphColumns(record.metrics.graph),
  };
}

export function metricsCsv(records: readonly CheckpointRecord[]): string {
  return toCsv(['step', ...BEHAVIOUR_COLUMNS, ...GRAPH_COLUMNS], records.map(metricsRow));
}

/** nodes.csv: one row per checkpoint × node, network metrics plus delta_loss and head scores. */
/**
 * nodes.csv: one row per checkpoint × node, network metrics plus delta_loss and head scores, and —
 * when `nullStatistics` is given — each node's statistics against the structural null.
 */
export function nodesCsv(records: readonly CheckpointRecord[], nullStatistics?: ReadonlyMap<number, NodeNullStatistics>): string {
  const rows: Record<string, CsvCell>[] = [];
  for (const r of records) {
    for (const [node, m] of Object.entries(r.metrics.nodes)) {
      const head = r.head_scores[node];
      rows.push({
        step: r.step,
        node,
        ...(m as unknown as Record<string, CsvCell>),
        delta_loss: r.delta_loss[node] ?? null,
        induction_score: head?.induction ?? null,
        previous_token_score: head?.previous_token ?? null,
        ...(nullStatistics?.get(r.step)?.[node] ?? {}),
      });
    }
  }
  const nullColumns = nullStatistics ? NULL_NODE_COLUMNS : [];
  return toCsv(['step', 'node', ...NODE_COLUMNS, 'delta_loss', 'induction_score', 'previous_token_score', ...nullColumns], rows);
}

/** Columns of nodes.csv against the structural null (docs/findings.md): z-scores and strength per possible edge. */
export const NULL_NODE_COLUMNS = ['in_strength_z', 'out_strength_z', 'pagerank_z', 'hub_z', 'authority_z', 'in_strength_per_edge', 'out_strength_per_edge'] as const;

/** Per node id: the NULL_NODE_COLUMNS values (null where undefined). */
export type NodeNullStatistics = Record<string, Record<(typeof NULL_NODE_COLUMNS)[number], number | null>>;

/**
 * A checkpoint's node statistics against the 'block' structural null (lib/network/role-z.ts: in-
 * and out-strength, PageRank, hub and authority as z-scores over `draws` seeded draws) and its
 * layer-normalised strengths, on the influence matrix as measured (|w|, LOGITS included).
 */
export function nodeNullStatistics(matrix: number[][], nodes: string[], parallelResidual: boolean, options: { draws: number; seed: number }): NodeNullStatistics {
  const allowed = allowedEdges(nodes, { parallelResidual });
  const z = roleZScores(matrix, allowed, { nodes, kind: 'block', draws: options.draws, seed: options.seed });
  const perEdge = layerNormalisedStrength(matrix, allowed);
  return Object.fromEntries(nodes.map((id, i) => [id, {
    in_strength_z: z.nodes[id].in_strength.z,
    out_strength_z: z.nodes[id].out_strength.z,
    pagerank_z: z.nodes[id].pagerank.z,
    hub_z: z.nodes[id].hub.z,
    authority_z: z.nodes[id].authority.z,
    in_strength_per_edge: perEdge.in[i],
    out_strength_per_edge: perEdge.out[i],
  }]));
}

export function readMatrix(out: string, step: number): { nodes: string[]; matrix: number[][]; parallelResidual?: boolean } {
  const json = JSON.parse(readFileSync(influenceFile(out, step), 'utf8')) as { nodes: string[]; matrix: number[][]; settings?: { parallel_residual?: unknown } };
  const parallel = json.settings?.parallel_residual;
  return { nodes: json.nodes, matrix: json.matrix, ...(typeof parallel === 'boolean' ? { parallelResidual: parallel } : {}) };
}

/**
 * The phases' input: behaviour + graph metrics (NaN where undefined), node metrics, matrices,
 * communities, and the bootstrap replicates of the metrics when the records carry them (the
 * series stage attaches them to every record or to none; replicates.ts).
 */
export function seriesInput(records: readonly CheckpointRecord[], matrices: Map<number, { nodes: string[]; matrix: number[][] }>, metricNames: readonly string[]): CheckpointInput[] {
  return records.map((r) => {
    const row = metricsRow(r);
    const metrics: Record<string, number> = {};
    for (const name of metricNames) metrics[name] = row[name] ?? NaN;
    const nodes: Record<string, Record<string, number>> = {};
    for (const [id, m] of Object.entries(r.metrics.nodes)) {
      nodes[id] = Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    }
    const mat = matrices.get(r.step);
    const input: CheckpointInput = { step: r.step, metrics, nodes, matrix: mat?.matrix, nodeIds: mat?.nodes, communities: r.metrics.graph.communities };
    if (r.replicates) input.replicates = Object.fromEntries(metricNames.filter((name) => r.replicates![name]).map((name) => [name, r.replicates![name]]));
    return input;
  });
}

export interface PhaseAnalysis {
  phases: PhasesResult;
  /** The same detection on the graph metrics alone (behaviour series left out). */
  graphOnly: PhasesResult;
  /** Where the best induction-head score first passes half its final value, and the nearest boundaries. */
  inductionAlignment: InductionAlignment | null;
}

export interface InductionAlignment {
  halfFinalStep: number;
  halfFinalIndex: number;
  finalScore: number;
  nearest: { step: number; offset: number } | null;
  nearestGraphOnly: { step: number; offset: number } | null;
}

/** The warm-up steps the phase search leaves out: the setting, or for `auto` the tiny model's own warm-up. */
export function resolveWarmup(config: Pick<PhaseSettings, 'phases' | 'checkpoints' | 'train'>): number {
  const setting = config.phases.warmup ?? 'auto';
  if (setting !== 'auto') return setting;
  return config.checkpoints === 'default' ? resolveTrainConfig(config.train ?? {}, 'train').optim.warmupSteps : 0;
}

/**
 * What the phase detection reads of the settings. `checkpoints` and `train` only resolve the
 * `auto` warm-up; without them (`cntlens analyze`: no training is known) `auto` is 0.
 */
export type PhaseSettings = Pick<ExperimentConfig, 'phases' | 'graph'> & Partial<Pick<ExperimentConfig, 'checkpoints' | 'train'>>;

export function analyzePhases(records: readonly CheckpointRecord[], matrices: Map<number, { nodes: string[]; matrix: number[][] }>, config: PhaseSettings): PhaseAnalysis {
  const options = {
    method: config.phases.method,
    model: config.phases.model,
    warmup: resolveWarmup(config),
    axis: config.phases.axis,
    penalty: config.phases.penalty ?? undefined,
    minSize: config.phases.minSize,
    topK: config.graph.rolesK,
  };
  const all = analyzeSeries(seriesInput(records, matrices, [...BEHAVIOUR_COLUMNS, ...GRAPH_COLUMNS]), options);
  const graphOnly = analyzeSeries(seriesInput(records, matrices, GRAPH_COLUMNS), options);
  return { phases: all, graphOnly, inductionAlignment: inductionAlignment(records, all, graphOnly) };
}

/** First checkpoint whose best induction score reaches half the final one, and the nearest boundaries. */
export function inductionAlignment(records: readonly CheckpointRecord[], phases: PhasesResult, graphOnly: PhasesResult): InductionAlignment | null {
  const scores = records.map((r) => r.behaviour.induction_score_max);
  const final = scores[scores.length - 1];
  if (final === null || final === undefined || !(final > 0)) return null;
  const index = scores.findIndex((s) => s !== null && s >= final / 2);
  if (index < 0) return null;
  const steps = records.map((r) => r.step);
  const nearest = (boundaries: number[]): { step: number; offset: number } | null => {
    let best: { step: number; offset: number } | null = null;
    for (const b of boundaries) {
      const offset = steps.indexOf(b) - index;
      if (!best || Math.abs(offset) < Math.abs(best.offset)) best = { step: b, offset };
    }
    return best;
  };
  return { halfFinalStep: steps[index], halfFinalIndex: index, finalScore: final, nearest: nearest(phases.boundaries), nearestGraphOnly: nearest(graphOnly.boundaries) };
}

/**
 * Everything the report draws, gathered from the records and the phases. `config` is echoed as the
 * report's settings; its `influence.ablation` and `influence.measure` go into the subtitle.
 */
export function reportData(records: readonly CheckpointRecord[], matrices: Map<number, { nodes: string[]; matrix: number[][] }>, analysis: PhaseAnalysis, config: { influence: Pick<ExperimentConfig['influence'], 'ablation' | 'measure'> }, summary: string[]): ReportData {
  const first = matrices.get(records[0].step)!;
  return {
    title: 'cntlens: how the model organised itself during training',
    subtitle: `${records.length} checkpoints, step ${records[0].step} to ${records[records.length - 1].step}; ${config.influence.ablation} ablation, ${config.influence.measure} influence`,
    settings: config as unknown as Record<string, unknown>,
    nodes: first.nodes,
    checkpoints: records.map((r) => {
      const row = metricsRow(r);
      const { step: _step, ...metrics } = row;
      return {
        step: r.step,
        name: r.name,
        metrics,
        matrix: matrices.get(r.step)!.matrix,
        nodeMetrics: r.metrics.nodes as unknown as Record<string, Record<string, number | null>>,
        communities: r.metrics.graph.communities,
      };
    }),
    phases: {
      boundaries: analysis.phases.boundaries,
      phases: analysis.phases.phases.map((p) => ({ start: p.start, end: p.end, label: p.label, stats: numericStats(p.stats as unknown as Record<string, unknown>), reason: p.labelReason, merged: p.merged })),
      confidence: analysis.phases.confidence,
      changes: analysis.phases.changes,
      warmup: analysis.phases.warmup,
      method: phaseMethod(analysis.phases),
    },
    graphMetrics: [...GRAPH_COLUMNS],
    summary,
  };
}

/** One line on how the phases were found, for the report. */
function phaseMethod(p: PhasesResult): string {
  const s = p.settings;
  const c = s.confidence;
  const confidence = c.method === 'bootstrap' ? `bootstrap over prompts (${c.replicates} replicates, ±${c.tolerance} checkpoints)` : `penalty sweep (±${c.tolerance} checkpoints)`;
  const warmup = p.warmup ? `; steps ${p.warmup.start}–${p.warmup.end} are the learning-rate warm-up (before step ${p.warmup.beforeStep}), not searched` : '';
  return `${s.method.toUpperCase()} on ${s.metrics.length} standardised metrics, ${s.model} model (each phase its own ${s.model === 'linear' ? 'line' : 'level'} per metric) on the ${s.axis.used} axis, penalty ${s.penalty.toFixed(2)}; confidence by ${confidence}${warmup}`;
}

function numericStats(stats: Record<string, unknown>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  // `checkpoints` is already a column of the report's phase table.
  for (const [k, v] of Object.entries(stats)) if (k !== 'checkpoints' && (typeof v === 'number' || v === null)) out[k] = v as number | null;
  return out;
}

/** The closing summary: phases, top roles at the last checkpoint, induction alignment. */
export function summaryLines(records: readonly CheckpointRecord[], analysis: PhaseAnalysis): string[] {
  const last = records[records.length - 1];
  const lines: string[] = [];
  const p = analysis.phases;
  if (p.warmup) lines.push(`Warm-up: steps ${p.warmup.start}–${p.warmup.end} (${p.warmup.checkpoints} checkpoints, before step ${p.warmup.beforeStep}) are the learning-rate warm-up, left out of the phase search.`);
  lines.push(p.phases.length === 1
    ? `No phase boundary found over ${records.length - (p.warmup?.checkpoints ?? 0)} checkpoints (one ${p.phases[0].label} phase).`
    : `${p.phases.length} phases: ${p.phases.map((ph) => `${ph.label} (step ${ph.start}–${ph.end})`).join(', ')}; boundaries at step ${p.boundaries.join(', ')} (confidence ${p.confidence.map((c) => c.toFixed(2)).join(', ')}).`);
  const g = analysis.graphOnly;
  lines.push(`Graph metrics alone: ${g.boundaries.length === 0 ? 'no boundary' : `boundaries at step ${g.boundaries.join(', ')}`}.`);
  const a = analysis.inductionAlignment;
  if (a) {
    const describe = (n: { step: number; offset: number } | null): string => (n ? `nearest boundary step ${n.step} (${n.offset >= 0 ? '+' : ''}${n.offset} checkpoints)` : 'no boundary');
    lines.push(`Best induction-head score first passes half its final value (${a.finalScore.toFixed(3)}) at step ${a.halfFinalStep}: ${describe(a.nearest)}; graph metrics alone: ${describe(a.nearestGraphOnly)}.`);
  }
  lines.push(`Top spreaders at step ${last.step}: ${last.metrics.roles.spreaders.join(', ')}.`);
  lines.push(`Top gatherers at step ${last.step}: ${last.metrics.roles.gatherers.join(', ')}.`);
  return lines;
}

export const relativeTo = (out: string, file: string): string => path.relative(out, file) || '.';

/**
 * The study's claims as tested statistics (lib/findings) over the series: the influence matrices,
 * the per-prompt edge values for the intervals (when every checkpoint has them), the phases.
 */
export function seriesFindings(
  records: readonly CheckpointRecord[],
  matrices: Map<number, { nodes: string[]; matrix: number[][]; parallelResidual?: boolean }>,
  perPrompt: (step: number) => PerPromptValues | { missing: string },
  phases: PhasesResult,
  settings: { findings?: ExperimentConfig['findings'] },
): FindingsResult {
  const steps = records.map((r) => r.step);
  const ordered = steps.map((s) => matrices.get(s)!);
  const nodes = ordered[0].nodes;
  const edges = steps.map((s) => {
    const values = perPrompt(s);
    return 'missing' in values ? null : values.edges;
  });
  const index = new Map(steps.map((s, i) => [s, i]));
  const options = settings.findings ?? DEFAULT_EXPERIMENT_CONFIG.findings;
  return findings(
    {
      steps,
      nodes,
      matrices: ordered.map((m) => m.matrix),
      parallelResidual: ordered[0].parallelResidual ?? inferParallelResidual(nodes, ordered.map((m) => m.matrix)),
      perPromptEdges: edges.every((e) => e !== null) ? edges : undefined,
      phases: {
        boundaries: phases.boundaries.map((b) => index.get(b)!),
        warmup: phases.warmup?.checkpoints ?? 0,
        minSize: phases.settings.minSize,
        labels: phases.phases.map((p) => p.label),
      },
    },
    options,
  );
}

/** Every checkpoint's node statistics against the structural null (nodes.csv's last columns). */
export function seriesNullStatistics(
  records: readonly CheckpointRecord[],
  matrices: Map<number, { nodes: string[]; matrix: number[][]; parallelResidual?: boolean }>,
  settings: { findings?: ExperimentConfig['findings'] },
): Map<number, NodeNullStatistics> {
  const options = settings.findings ?? DEFAULT_EXPERIMENT_CONFIG.findings;
  const ordered = records.map((r) => matrices.get(r.step)!);
  const parallel = ordered[0].parallelResidual ?? inferParallelResidual(ordered[0].nodes, ordered.map((m) => m.matrix));
  return new Map(records.map((r, t) => [r.step, nodeNullStatistics(ordered[t].matrix, ordered[t].nodes, parallel, { draws: options.nullDraws, seed: options.seed + t })]));
}

/**
 * The residual kind of influence files that do not say: with the sequential residual a head
 * reaches its own layer's MLP, so any non-zero head → own-layer MLP weight means sequential.
 */
export function inferParallelResidual(nodes: readonly string[], matrices: readonly number[][][]): boolean {
  const layerOf = (id: string): number | null => {
    const m = /^L(\d+)(?:H\d+|MLP)$/.exec(id);
    return m ? Number(m[1]) : null;
  };
  for (const [i, source] of nodes.entries()) {
    if (!/^L\d+H\d+$/.test(source)) continue;
    const j = nodes.indexOf(`L${layerOf(source)}MLP`);
    if (j >= 0 && matrices.some((m) => m[i][j] !== 0)) return false;
  }
  return true;
}

/** One closing line per claim: its verdict and the numbers behind it. */
export function findingsLines(f: FindingsResult): string[] {
  const claims = [f.spreaderStability, f.gathererStability, f.stabilityDifference, f.reconfiguration, f.longTail];
  return ['Findings (docs/findings.md):', ...claims.map((c) => `  ${c.claim}: ${c.sentence}`)];
}
