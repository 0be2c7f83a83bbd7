/**
 * The learning-dynamics analysis in one call: change points of the metric series (phases), their
 * confidence, descriptive statistics and labels of each phase, node roles over time with the
 * checkpoints where they reconfigure, the behaviour events (e.g. the induction-loss drop) they are
 * aligned with, and communities tracked across checkpoints with the flows between them.
 */
import { InputError, OptionError } from '../util/errors.js';
import { resolveAxis } from './axis.js';
import { DEFAULT_MIN_SIZE, DEFAULT_PENALTY_FORMULA, defaultPenalty, detectChangePoints } from './changepoints.js';
import { communityFlows, trackCommunities } from './communities.js';
import { bootstrapConfidence, DEFAULT_BOOTSTRAP, DEFAULT_SWEEP, DEFAULT_TOLERANCE, penaltySweepConfidence } from './confidence.js';
import { MIN_CHECKPOINTS } from './csv.js';
import { LABEL_RULES, labelPhases, matrixDistance, segmentStats } from './labels.js';
import type { DynamicsSeries } from './labels.js';
import { gini } from '../network/gini.js';
import { topShare } from '../network/top-share.js';
import { DEFAULT_RECONFIGURATION, DEFAULT_ROLE_METRICS, nodeScores, ROLES, roleSeries } from './roles.js';
import type { Role, RoleSeries } from './roles.js';
import type {
  AnalyzeOptions,
  BehaviourEvent,
  CheckpointInput,
  CommunityTracking,
  PhasesResult,
  PhasesSettings,
  PhaseSummary,
  ReconfigurationAlignment,
  RolesOverTime,
} from './types.js';

/** Behaviour metrics of the induction task, looked for by default. */
export const BEHAVIOUR_METRICS = ['loss_repeated', 'icl_score', 'induction_score_max'] as const;

/** Graph-level metric names used for the concentration when no node strengths exist. */
export const CONCENTRATION_METRICS = { gini: 'gini', topShare: 'top10_share' } as const;

/** Default top-k of the spreader / gatherer sets: the top 10% of the nodes, at least 1. */
export function defaultTopK(nodeCount: number): number {
  return Math.max(1, Math.ceil(nodeCount / 10 - 1e-9));
}

/** Checks the checkpoints and returns them sorted by step (a copy), and whether they were not. */
export function prepareCheckpoints(checkpoints: readonly CheckpointInput[], source: string): { sorted: CheckpointInput[]; reordered: boolean } {
  if (!Array.isArray(checkpoints)) throw new InputError(source, 'expected an array of checkpoints');
  if (checkpoints.length < MIN_CHECKPOINTS) {
    throw new InputError(source, `needs at least ${MIN_CHECKPOINTS} checkpoints, found ${checkpoints.length}`);
  }
  const seen = new Set<number>();
  for (const c of checkpoints) {
    if (typeof c?.step !== 'number' || !Number.isFinite(c.step)) throw new InputError(source, `checkpoint step must be a finite number, got ${String(c?.step)}`);
    if (seen.has(c.step)) throw new InputError(source, `step ${c.step} appears twice (duplicate checkpoint)`);
    seen.add(c.step);
    if (!c.metrics || typeof c.metrics !== 'object') throw new InputError(source, `checkpoint at step ${c.step} has no metrics`);
  }
  const reordered = checkpoints.some((c, i) => i > 0 && c.step < checkpoints[i - 1].step);
  const sorted = [...checkpoints].sort((a, b) => a.step - b.step);
  return { sorted, reordered };
}

/** Metrics that enter the detection: the requested ones, or every metric finite at every checkpoint. */
function chooseMetrics(checkpoints: readonly CheckpointInput[], requested: readonly string[] | undefined, source: string): { metrics: string[]; dropped: { metric: string; reason: string }[] } {
  const finiteAt = (c: CheckpointInput, m: string): boolean => typeof c.metrics[m] === 'number' && Number.isFinite(c.metrics[m]);
  if (requested) {
    if (requested.length === 0) throw new OptionError('metrics', 'the list is empty');
    const twice = requested.find((m, i) => requested.indexOf(m) !== i);
    if (twice !== undefined) throw new OptionError('metrics', `"${twice}" is listed twice`);
    for (const m of requested) {
      const bad = checkpoints.find((c) => !finiteAt(c, m));
      if (bad) throw new InputError(source, `metric "${m}" is missing or not a finite number at step ${bad.step}`);
    }
    return { metrics: [...requested], dropped: [] };
  }
  const names: string[] = [];
  for (const c of checkpoints) for (const m of Object.keys(c.metrics)) if (!names.includes(m)) names.push(m);
  const metrics: string[] = [];
  const dropped: { metric: string; reason: string }[] = [];
  for (const m of names) {
    const bad = checkpoints.find((c) => !finiteAt(c, m));
    if (bad) dropped.push({ metric: m, reason: `missing or not a finite number at step ${bad.step}` });
    else metrics.push(m);
  }
  if (metrics.length === 0) throw new InputError(source, 'no metric is a finite number at every checkpoint');
  return { metrics, dropped };
}

/**
 * Runs the whole analysis. checkpoints: in any order (sorted by step here); see CheckpointInput.
 * Pieces that need data the input lacks (node metrics, matrices, communities, per-prompt values)
 * come back null, with the reason in `unavailable`.
 */
export function analyzeSeries(checkpoints: readonly CheckpointInput[], options: AnalyzeOptions = {}): PhasesResult {
  const source = options.source ?? '<series>';
  const { sorted, reordered } = prepareCheckpoints(checkpoints, source);
  const n = sorted.length;
  const steps = sorted.map((c) => c.step);
  const { metrics, dropped } = chooseMetrics(sorted, options.metrics, source);
  const unavailable: Record<string, string> = {};

  // 1. Change points on the metric series.
  const series = sorted.map((c) => metrics.map((m) => c.metrics[m])); // [n][d]
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const detectOptions = { method: options.method ?? 'pelt', minSize, maxRefinements: options.maxRefinements, penalty: options.penalty } as const;
  const detection = detectChangePoints(series, detectOptions);
  for (const d of detection.dropped) dropped.push({ metric: metrics[d.column], reason: d.reason });
  const usedMetrics = detection.used.map((j) => metrics[j]);
  const dUsed = usedMetrics.length;
  const penaltyDefault = dUsed > 0 ? defaultPenalty(n, dUsed) : 0;
  const boundaryIdx = detection.boundaries;

  // 2. Confidence of each boundary.
  const fixedOptions = { ...detectOptions, penalty: detection.penalty };
  const tolerance = options.confidence?.tolerance ?? DEFAULT_TOLERANCE;
  const perPrompt = perPromptMatrix(sorted, metrics, source);
  const wantBootstrap = (options.confidence?.method ?? 'auto') !== 'sweep';
  if (options.confidence?.method === 'bootstrap' && !perPrompt) {
    throw new OptionError('confidence.method', 'bootstrap needs per-prompt values (perPrompt) for some metric at every checkpoint');
  }
  let confidence: number[] = [];
  let confidenceSettings: PhasesSettings['confidence'];
  if (wantBootstrap && perPrompt) {
    const replicates = options.confidence?.replicates ?? DEFAULT_BOOTSTRAP.replicates;
    const seed = options.confidence?.seed ?? DEFAULT_BOOTSTRAP.seed;
    const run = boundaryIdx.length > 0
      ? bootstrapConfidence(series, perPrompt.values, boundaryIdx, fixedOptions, { replicates, seed, tolerance })
      : { confidence: [], replicates, prompts: perPrompt.prompts };
    confidence = run.confidence;
    confidenceSettings = { method: 'bootstrap', tolerance, replicates, seed, prompts: run.prompts, metrics: perPrompt.metrics };
  } else {
    const sweep = { ...DEFAULT_SWEEP, ...options.confidence?.sweep };
    confidence = boundaryIdx.length > 0 ? penaltySweepConfidence(series, boundaryIdx, fixedOptions, { ...sweep, tolerance }).confidence : [];
    confidenceSettings = { method: 'penalty-sweep', tolerance, penalties: [sweep.low * detection.penalty, sweep.high * detection.penalty], steps: sweep.steps };
    if (!perPrompt) unavailable.bootstrap = 'no per-prompt values: confidence from a penalty sweep instead';
  }

  // 3. Axis and per-checkpoint dynamics.
  const axis = resolveAxis(steps, options.axis ?? 'auto');
  const roleMetrics = { ...DEFAULT_ROLE_METRICS, ...options.roleMetrics };
  const nodeCount = countNodes(sorted);
  const k = options.topK ?? defaultTopK(nodeCount);
  if (!Number.isInteger(k) || k < 1) throw new OptionError('topK', `must be an integer >= 1, got ${k}`);
  const roleResults = new Map<Role, RoleSeries>();
  const roleReasons: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    const r = roleSeries(sorted, role, roleMetrics[role], k, options.reconfiguration);
    if ('series' in r) roleResults.set(role, r.series);
    else roleReasons[role] = r.reason;
  }
  const column = detection.used;
  const metricChange = sorted.map((_, t) => {
    if (t === 0 || column.length === 0) return null;
    let ss = 0;
    column.forEach((j, kk) => { ss += ((series[t][j] - series[t - 1][j]) / detection.scale[kk]) ** 2; });
    return Math.sqrt(ss / column.length);
  });
  const graphChange = sorted.map((c, t) => {
    const prev = t > 0 ? sorted[t - 1].matrix : undefined;
    return prev && c.matrix && sameShape(prev, c.matrix) ? matrixDistance(prev, c.matrix) : null;
  });
  const concentration = concentrationSeries(sorted, options, roleMetrics.spreader);
  const spreader = roleResults.get('spreader');
  const gatherer = roleResults.get('gatherer');
  const nulls = (): null[] => steps.map(() => null);
  const dynamics: DynamicsSeries = {
    steps,
    axis: axis.values,
    graphChange,
    metricChange,
    spreaderStability: spreader?.stability ?? nulls(),
    gathererStability: gatherer?.stability ?? nulls(),
    spreaderJaccard: spreader?.topJaccard ?? nulls(),
    gathererJaccard: gatherer?.topJaccard ?? nulls(),
    gini: concentration.gini,
    topShare: concentration.topShare,
  };
  const reasons: Record<string, string> = {};
  if (graphChange.every((v) => v === null)) {
    reasons.graphChange = unavailable.graphChange = 'no influence matrices (of equal shape at consecutive checkpoints)';
  }
  if (!spreader) for (const s of ['spreaderVolatility', 'spreaderJaccard']) reasons[s] = `spreaders: ${roleReasons.spreader}`;
  if (!gatherer) for (const s of ['gathererVolatility', 'gathererJaccard']) reasons[s] = `gatherers: ${roleReasons.gatherer}`;
  if (!spreader && !gatherer) reasons.roleVolatility = `spreaders: ${roleReasons.spreader}`;
  if (concentration.source === null) {
    for (const s of ['giniMean', 'giniChange', 'topShareMean', 'topShareChange']) reasons[s] = concentration.reason;
    unavailable.concentration = concentration.reason;
  }

  // 4. Phases: statistics, labels, means.
  const starts = [0, ...boundaryIdx];
  const ends = [...boundaryIdx, n];
  const labelled = labelPhases(starts.map((s, i) => segmentStats(dynamics, s, ends[i], reasons)), options.labelRules);
  const phases: PhaseSummary[] = starts.map((s, i) => {
    const means: Record<string, number> = {};
    metrics.forEach((m, j) => { means[m] = detection.segments[i].means[j]; });
    return {
      start: steps[s],
      end: steps[ends[i] - 1],
      startIndex: s,
      endIndex: ends[i] - 1,
      checkpoints: ends[i] - s,
      label: labelled[i].label,
      labelReason: labelled[i].reason,
      stats: labelled[i].stats,
      means,
    };
  });

  // 5. Behaviour events and roles over time, aligned with the boundaries.
  const behaviourMetrics = (options.behaviourMetrics ?? [...BEHAVIOUR_METRICS]).filter((m) => sorted.every((c) => Number.isFinite(c.metrics[m])));
  const behaviour = behaviourMetrics.map((m) => behaviourEvent(sorted, m, boundaryIdx));
  if (behaviourMetrics.length === 0) unavailable.behaviour = `none of the behaviour metrics (${(options.behaviourMetrics ?? BEHAVIOUR_METRICS).join(', ')}) at every checkpoint`;
  let roles: RolesOverTime | null = null;
  if (roleResults.size > 0) {
    const alignment: ReconfigurationAlignment[] = [];
    for (const r of roleResults.values()) {
      for (const rc of r.reconfigurations) {
        alignment.push({
          role: r.role,
          step: rc.step,
          previousStep: rc.previousStep,
          stability: rc.stability,
          z: rc.z,
          nearestBoundary: nearest(rc.index, boundaryIdx, steps),
          behaviour: behaviour.map((e) => ({ metric: e.metric, step: e.step, offset: rc.index - e.index })),
        });
      }
    }
    alignment.sort((a, b) => b.z - a.z);
    roles = {
      topK: k,
      metrics: roleMetrics,
      series: [...roleResults.values()],
      unavailable: roleReasons,
      reconfigurations: alignment,
    };
  } else {
    unavailable.roles = roleReasons.spreader ?? 'no node-level metrics';
  }

  // 6. Communities.
  let communities: CommunityTracking | null = null;
  const missingPartition = sorted.find((c) => !Array.isArray(c.communities));
  if (missingPartition) {
    unavailable.communities = `no community partition at step ${missingPartition.step}`;
  } else {
    const minJaccard = options.communityMinJaccard ?? 0;
    const tracked = trackCommunities(sorted.map((c) => c.communities as string[][]), { minJaccard });
    communities = {
      minJaccard,
      tracked: tracked.map((list, t) => ({ step: steps[t], communities: list })),
      flows: communityFlows(tracked, steps),
    };
  }

  const scale: Record<string, number> = {};
  usedMetrics.forEach((m, kk) => { scale[m] = detection.scale[kk]; });
  const settings: PhasesSettings = {
    checkpoints: n,
    reorderedInput: reordered,
    method: detection.method,
    penalty: detection.penalty,
    penaltySource: options.penalty === undefined ? 'default' : 'user',
    penaltyDefault,
    penaltyFormula: DEFAULT_PENALTY_FORMULA,
    minSize,
    axis: { requested: axis.requested, used: axis.used, reason: axis.reason },
    metrics: usedMetrics,
    droppedMetrics: dropped,
    noiseScale: scale,
    scaleRefinements: detection.refinements,
    confidence: confidenceSettings,
    labelRules: { ...LABEL_RULES, ...options.labelRules },
    topK: k,
    roleMetrics,
    reconfiguration: { ...DEFAULT_RECONFIGURATION, ...options.reconfiguration },
    concentration: concentration.source,
    behaviourMetrics,
  };
  return {
    boundaries: boundaryIdx.map((i) => steps[i]),
    phases,
    confidence,
    settings,
    series: dynamics,
    behaviour,
    roles,
    communities,
    unavailable,
  };
}

function sameShape(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  return a.length === b.length && a.every((row, i) => row.length === b[i].length);
}

function countNodes(checkpoints: readonly CheckpointInput[]): number {
  let most = 0;
  for (const c of checkpoints) {
    const count = c.nodes ? Object.keys(c.nodes).length : (c.nodeIds?.length ?? 0);
    most = Math.max(most, count);
  }
  return most;
}

/** The boundary nearest to a checkpoint index, with the offset (index − boundary index). */
function nearest(index: number, boundaries: readonly number[], steps: readonly number[]): { step: number; offset: number } | null {
  let best: { step: number; offset: number } | null = null;
  for (const b of boundaries) {
    if (!best || Math.abs(index - b) < Math.abs(best.offset)) best = { step: steps[b], offset: index - b };
  }
  return best;
}

/**
 * The steepest transition of a behaviour metric: the largest |change| between consecutive
 * checkpoints (for loss_repeated, the induction-loss drop), with its nearest boundary.
 */
function behaviourEvent(checkpoints: readonly CheckpointInput[], metric: string, boundaries: readonly number[]): BehaviourEvent {
  let index = 1;
  let change = 0;
  for (let t = 1; t < checkpoints.length; t++) {
    const delta = checkpoints[t].metrics[metric] - checkpoints[t - 1].metrics[metric];
    if (Math.abs(delta) > Math.abs(change)) {
      change = delta;
      index = t;
    }
  }
  const steps = checkpoints.map((c) => c.step);
  return { metric, step: steps[index], previousStep: steps[index - 1], index, change, nearestBoundary: nearest(index, boundaries, steps) };
}

/** Per-prompt values as [checkpoint][metric column], for metrics that have them at every checkpoint. */
function perPromptMatrix(checkpoints: readonly CheckpointInput[], metrics: readonly string[], source: string): { values: (number[] | undefined)[][]; prompts: number; metrics: string[] } | null {
  const withPrompts = metrics.filter((m) => checkpoints.every((c) => Array.isArray(c.perPrompt?.[m])));
  if (withPrompts.length === 0) return null;
  let prompts = -1;
  for (const c of checkpoints) {
    for (const m of withPrompts) {
      const values = c.perPrompt![m];
      if (prompts < 0) prompts = values.length;
      if (values.length !== prompts) throw new InputError(source, `perPrompt["${m}"] at step ${c.step} has ${values.length} prompts, expected ${prompts} (the same prompts at every checkpoint)`);
      if (!values.every(Number.isFinite)) throw new InputError(source, `perPrompt["${m}"] at step ${c.step} has a value that is not a finite number`);
    }
  }
  if (prompts < 1) throw new InputError(source, 'perPrompt vectors are empty');
  const values = checkpoints.map((c) => metrics.map((m) => (withPrompts.includes(m) ? c.perPrompt![m] : undefined)));
  return { values, prompts, metrics: withPrompts };
}

/** Gini and top-10% share per checkpoint, from node strengths, else from graph-level metrics. */
function concentrationSeries(checkpoints: readonly CheckpointInput[], options: AnalyzeOptions, spreaderMetric: string): { gini: (number | null)[]; topShare: (number | null)[]; source: string | null; reason: string } {
  const nodeMetric = options.concentration?.nodeMetric ?? spreaderMetric;
  const scores = checkpoints.map((c) => nodeScores(c, nodeMetric));
  if (scores.every((s) => s !== null)) {
    // Sizes of influence: a signed score counts by its magnitude.
    const sizes = (s: Record<string, number>): number[] => Object.values(s).map(Math.abs);
    return {
      gini: scores.map((s) => gini(sizes(s!))),
      topShare: scores.map((s) => topShare(sizes(s!), 0.1)),
      source: `node metric ${nodeMetric}`,
      reason: '',
    };
  }
  const giniName = options.concentration?.giniMetric ?? CONCENTRATION_METRICS.gini;
  const shareName = options.concentration?.topShareMetric ?? CONCENTRATION_METRICS.topShare;
  const has = (m: string): boolean => checkpoints.every((c) => Number.isFinite(c.metrics[m]));
  if (has(giniName) || has(shareName)) {
    return {
      gini: checkpoints.map((c) => (has(giniName) ? c.metrics[giniName] : null)),
      topShare: checkpoints.map((c) => (has(shareName) ? c.metrics[shareName] : null)),
      source: `graph metrics ${[giniName, shareName].filter(has).join(', ')}`,
      reason: '',
    };
  }
  return {
    gini: checkpoints.map(() => null),
    topShare: checkpoints.map(() => null),
    source: null,
    reason: `no node metric "${nodeMetric}" (or influence matrix) at every checkpoint, and no graph metric "${giniName}" or "${shareName}"`,
  };
}
