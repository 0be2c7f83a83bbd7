/**
 * The learning-dynamics analysis in one call: change points of the metric series (phases), their
 * confidence, descriptive statistics and labels of each phase, node roles over time with the
 * checkpoints where they reconfigure, the behaviour events (e.g. the induction-loss drop) they are
 * aligned with, and communities tracked across checkpoints with the flows between them.
 */
import { InputError, OptionError } from '../util/errors.js';
import { resolveAxis } from './axis.js';
import { describeBoundary, standardised, trendSpeeds } from './boundaries.js';
import { DEFAULT_MIN_SIZE, DEFAULT_MODEL, defaultPenalty, detectChangePoints, penaltyFormula } from './changepoints.js';
import { communityFlows, trackCommunities } from './communities.js';
import { bootstrapConfidence, DEFAULT_BOOTSTRAP, DEFAULT_SWEEP, DEFAULT_TOLERANCE, penaltySweepConfidence, replicateConfidence } from './confidence.js';
import { MIN_CHECKPOINTS } from './csv.js';
import { LABEL_RULES, labelPhases, matrixDistance, segmentStats } from './labels.js';
import type { DynamicsSeries, LabelledPhase, LabelRules } from './labels.js';
import { gini } from '../network/gini.js';
import { topShare } from '../network/top-share.js';
import { DEFAULT_RECONFIGURATION, DEFAULT_ROLE_METRICS, nodeScores, ROLES, roleSeries } from './roles.js';
import type { Role, RoleSeries } from './roles.js';
import type {
  AnalyzeOptions,
  BehaviourEvent,
  ChangePointOptions,
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

  // 1. Change points on the metric series, regressed on the time axis, after the declared warm-up.
  const axis = resolveAxis(steps, options.axis ?? 'auto');
  const series = sorted.map((c) => metrics.map((m) => c.metrics[m])); // [n][d]
  const w = warmupCount(steps, options.warmup ?? 0, source);
  const learning = sorted.slice(w);
  const learningSeries = series.slice(w); // [n − w][d]
  const nL = learning.length;
  const x = axis.values.slice(w);
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const model = options.model ?? DEFAULT_MODEL;
  const detectOptions = { method: options.method ?? 'pelt', model, x, minSize, maxRefinements: options.maxRefinements, noise: options.noise, penalty: options.penalty } as const;
  const detection = detectChangePoints(learningSeries, detectOptions);
  for (const d of detection.dropped) dropped.push({ metric: metrics[d.column], reason: d.reason });
  const usedMetrics = detection.used.map((j) => metrics[j]);
  const dUsed = usedMetrics.length;
  const penaltyDefault = dUsed > 0 ? defaultPenalty(nL, dUsed, model) : 0;
  const detected = detection.boundaries; // indices into the learning part

  // 2. Confidence of each boundary.
  const fixedOptions = { ...detectOptions, penalty: detection.penalty };
  const { confidence: detectedConfidence, settings: confidenceSettings } = boundaryConfidence(learning, learningSeries, metrics, detected, fixedOptions, options, source, unavailable);

  // 3. Per-checkpoint dynamics.
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

  // 4. Phases: statistics and labels; neighbours with the same label merged unless their boundary is significant.
  const rules: LabelRules = { ...LABEL_RULES, ...options.labelRules };
  const standardData = standardised(learningSeries, detection.used, detection.center, detection.scale);
  // A phase's speed is that of the detected pieces it is made of (checkpoint-weighted RMS), so a
  // phase merged across a bend of its trends is not taken for flat because one line through the
  // bend is.
  const pieceStarts = [0, ...detected];
  const pieceEnds = [...detected, nL];
  const pieceSpeeds = trendSpeeds(standardData, x, pieceStarts, pieceEnds);
  const phaseSpeed = (s: number, e: number): number | null => {
    let weighted = 0;
    let count = 0;
    pieceStarts.forEach((ps, k) => {
      const speed = pieceSpeeds[k];
      if (ps >= s && pieceEnds[k] <= e && speed !== null) {
        weighted += (pieceEnds[k] - ps) * speed * speed;
        count += pieceEnds[k] - ps;
      }
    });
    return count > 0 ? Math.sqrt(weighted / count) : null;
  };
  const label = (cuts: readonly number[]): LabelledPhase[] => {
    const starts = [0, ...cuts];
    const ends = [...cuts, nL];
    return labelPhases(starts.map((s, i) => segmentStats(dynamics, w + s, w + ends[i], reasons, phaseSpeed(s, ends[i]))), rules);
  };
  let boundaryIdx = detected.slice();
  let shapes = detection.shapes.slice();
  let confidence = detectedConfidence.slice();
  let labelled = label(boundaryIdx);
  const merged: { step: number; into: number; reason: string }[] = [];
  for (;;) {
    const weakest = mergeCandidate(labelled, confidence, rules);
    if (weakest < 0) break;
    const c = confidence[weakest];
    merged.push({
      step: steps[w + boundaryIdx[weakest]],
      into: weakest,
      reason: `both sides were ${labelled[weakest].label} (activity ${fmtActivity(labelled[weakest])} and ${fmtActivity(labelled[weakest + 1])}) and the boundary (confidence ${Number.isFinite(c) ? c.toFixed(2) : 'n/a'}) does not separate different rates by the keep-apart rule`,
    });
    boundaryIdx = boundaryIdx.filter((_, i) => i !== weakest);
    shapes = shapes.filter((_, i) => i !== weakest);
    confidence = confidence.filter((_, i) => i !== weakest);
    labelled = label(boundaryIdx);
  }
  const localStarts = [0, ...boundaryIdx];
  const localEnds = [...boundaryIdx, nL];
  const changes = boundaryIdx.map((b, i) => describeBoundary(standardData, learningSeries.map((row) => detection.used.map((j) => row[j])), x, usedMetrics, {
    s: localStarts[i], b, t: localEnds[i + 1], step: steps[w + b], shape: shapes[i] ?? 'jump', confidence: Number.isNaN(confidence[i]) ? null : confidence[i], penalty: detection.penalty,
  }));
  for (const c of changes) c.index += w;
  // From here on, indices are into all checkpoints (the warm-up included).
  boundaryIdx = boundaryIdx.map((b) => b + w);
  const starts = [w, ...boundaryIdx];
  const ends = [...boundaryIdx, n];
  const phases: PhaseSummary[] = starts.map((s, i) => {
    const means: Record<string, number> = {};
    metrics.forEach((m, j) => {
      let sum = 0;
      for (let r = s; r < ends[i]; r++) sum += series[r][j];
      means[m] = sum / (ends[i] - s);
    });
    let labelReason = labelled[i].reason;
    if (i > 0 && labelled[i - 1].label === labelled[i].label && labelled[i].label !== 'undetermined') {
      labelReason += `; kept apart from the previous ${labelled[i].label} phase because ${keepApartReason(labelled[i - 1], labelled[i], confidence[i - 1], rules)}: ${changes[i - 1].summary}`;
    }
    const absorbed = merged.filter((m) => m.step > steps[s] && m.step <= steps[ends[i] - 1]).map(({ step, reason }) => ({ step, reason }));
    return {
      start: steps[s],
      end: steps[ends[i] - 1],
      startIndex: s,
      endIndex: ends[i] - 1,
      checkpoints: ends[i] - s,
      label: labelled[i].label,
      labelReason,
      stats: labelled[i].stats,
      means,
      merged: absorbed,
    };
  });

  // 5. Behaviour events and roles over time, aligned with the boundaries.
  const behaviourMetrics = (options.behaviourMetrics ?? [...BEHAVIOUR_METRICS]).filter((m) => sorted.every((c) => Number.isFinite(c.metrics[m])));
  const behaviour = behaviourMetrics.map((m) => behaviourEvent(sorted, m, boundaryIdx, w));
  if (behaviourMetrics.length === 0) unavailable.behaviour = `none of the behaviour metrics (${(options.behaviourMetrics ?? BEHAVIOUR_METRICS).join(', ')}) at every checkpoint`;
  let roles: RolesOverTime | null = null;
  if (roleResults.size > 0) {
    const alignment: ReconfigurationAlignment[] = [];
    for (const r of roleResults.values()) {
      for (const rc of r.reconfigurations) {
        if (rc.index <= w) continue; // the warm-up's ramp is not a reconfiguration of learned roles
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
    warmup: options.warmup ?? 0,
    reorderedInput: reordered,
    method: detection.method,
    model: detection.model,
    penalty: detection.penalty,
    penaltySource: options.penalty === undefined ? 'default' : 'user',
    penaltyDefault,
    penaltyFormula: penaltyFormula(detection.model),
    minSize,
    axis: { requested: axis.requested, used: axis.used, reason: axis.reason },
    metrics: usedMetrics,
    droppedMetrics: dropped,
    noiseScale: scale,
    scaleRefinements: detection.refinements,
    confidence: confidenceSettings,
    labelRules: rules,
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
    changes,
    warmup: w > 0 ? { beforeStep: options.warmup!, start: steps[0], end: steps[w - 1], checkpoints: w } : null,
    detected: detected.map((i, k) => ({ step: steps[w + i], shape: detection.shapes[k], confidence: Number.isNaN(detectedConfidence[k]) ? null : detectedConfidence[k] })),
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
function behaviourEvent(checkpoints: readonly CheckpointInput[], metric: string, boundaries: readonly number[], warmup = 0): BehaviourEvent {
  // Transitions into or inside the declared warm-up are the optimiser's ramp, not learning.
  let index = Math.min(warmup + 1, checkpoints.length - 1);
  let change = 0;
  for (let t = index; t < checkpoints.length; t++) {
    const delta = checkpoints[t].metrics[metric] - checkpoints[t - 1].metrics[metric];
    if (Math.abs(delta) > Math.abs(change)) {
      change = delta;
      index = t;
    }
  }
  const steps = checkpoints.map((c) => c.step);
  return { metric, step: steps[index], previousStep: steps[index - 1], index, change, nearestBoundary: nearest(index, boundaries, steps) };
}

/**
 * Per-checkpoint vectors of one kind (`perPrompt`: the metric on each prompt; `replicates`: on each
 * bootstrap resample) as [checkpoint][metric column], for the metrics that have them at every
 * checkpoint; all of one length (the same prompts or resamples everywhere) and finite.
 */
function vectorMatrix(checkpoints: readonly CheckpointInput[], metrics: readonly string[], key: 'perPrompt' | 'replicates', source: string): { values: (number[] | undefined)[][]; length: number; metrics: string[] } | null {
  const what = key === 'perPrompt' ? { unit: 'prompts', same: 'the same prompts at every checkpoint' } : { unit: 'values', same: 'the same resamples at every checkpoint' };
  // A replicate is NaN where the metric is undefined on that resample (a tail fit with too few
  // edges, say): such a metric cannot be resampled, so it keeps its own values in every replicate.
  const usable = (m: string): boolean => key !== 'replicates' || checkpoints.every((c) => !Array.isArray(c.replicates?.[m]) || c.replicates![m].every(Number.isFinite));
  const present = metrics.filter((m) => checkpoints.every((c) => Array.isArray(c[key]?.[m])) && usable(m));
  if (present.length === 0) return null;
  let length = -1;
  for (const c of checkpoints) {
    for (const m of present) {
      const values = c[key]![m];
      if (length < 0) length = values.length;
      if (values.length !== length) throw new InputError(source, `${key}["${m}"] at step ${c.step} has ${values.length} ${what.unit}, expected ${length} (${what.same})`);
      if (!values.every(Number.isFinite)) throw new InputError(source, `${key}["${m}"] at step ${c.step} has a value that is not a finite number`);
    }
  }
  if (length < 1) throw new InputError(source, `${key} vectors are empty`);
  const values = checkpoints.map((c) => metrics.map((m) => (present.includes(m) ? c[key]![m] : undefined)));
  return { values, length, metrics: present };
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

/**
 * How many leading checkpoints fall in the declared warm-up (step < warmup). The rest must still
 * hold two phases' worth of checkpoints.
 */
function warmupCount(steps: readonly number[], warmup: number, source: string): number {
  if (!(warmup >= 0) || !Number.isFinite(warmup)) throw new OptionError('warmup', `must be a number of steps >= 0, got ${warmup}`);
  const count = steps.filter((s) => s < warmup).length;
  if (steps.length - count < MIN_CHECKPOINTS) {
    throw new InputError(source, `only ${steps.length - count} checkpoint(s) at or after the warm-up (step ${warmup}); the phases need at least ${MIN_CHECKPOINTS}`);
  }
  return count;
}

/** Why two neighbouring phases with the same label stay apart, or null when they are one regime. */
export function keepApartReason(before: LabelledPhase, after: LabelledPhase, confidence: number, rules: Pick<LabelRules, 'keepApart' | 'keepApartRatio'>): string | null {
  const c = Number.isFinite(confidence) ? confidence : 0;
  const a = before.stats.activity;
  const b = after.stats.activity;
  if (c < rules.keepApart || a === null || b === null) return null;
  const ratio = Math.max(a, b) / Math.max(Math.min(a, b), 1e-12);
  if (ratio < rules.keepApartRatio) return null;
  return `the boundary is significant (confidence ${c.toFixed(2)} >= ${rules.keepApart}) and separates different rates (activity ${a.toFixed(2)} vs ${b.toFixed(2)}, ratio ${ratio.toFixed(1)} >= ${rules.keepApartRatio})`;
}

/**
 * The boundary (its index in the list) between neighbouring phases with the same label that are
 * one regime (`keepApartReason` null), the least certain first; −1 when there is none.
 */
export function mergeCandidate(labelled: readonly LabelledPhase[], confidence: readonly number[], rules: Pick<LabelRules, 'keepApart' | 'keepApartRatio'>): number {
  let weakest = -1;
  const certainty = (i: number): number => (Number.isFinite(confidence[i]) ? confidence[i] : 0);
  for (let i = 0; i + 1 < labelled.length; i++) {
    if (labelled[i].label !== labelled[i + 1].label || labelled[i].label === 'undetermined') continue;
    if (keepApartReason(labelled[i], labelled[i + 1], confidence[i], rules) !== null) continue;
    if (weakest < 0 || certainty(i) < certainty(weakest)) weakest = i;
  }
  return weakest;
}

/**
 * Confidence of each detected boundary: from replicate series when every checkpoint has them,
 * else from a prompt bootstrap of per-prompt values, else from a penalty sweep (see confidence.ts).
 */
function boundaryConfidence(
  sorted: readonly CheckpointInput[],
  series: number[][],
  metrics: readonly string[],
  boundaryIdx: readonly number[],
  fixedOptions: ChangePointOptions & { penalty: number },
  options: AnalyzeOptions,
  source: string,
  unavailable: Record<string, string>,
): { confidence: number[]; settings: PhasesSettings['confidence'] } {
  const tolerance = options.confidence?.tolerance ?? DEFAULT_TOLERANCE;
  const method = options.confidence?.method ?? 'auto';
  const replicates = vectorMatrix(sorted, metrics, 'replicates', source);
  const perPrompt = replicates ? null : vectorMatrix(sorted, metrics, 'perPrompt', source);
  if (method === 'bootstrap' && !replicates && !perPrompt) {
    throw new OptionError('confidence.method', 'bootstrap needs replicate series (replicates) or per-prompt values (perPrompt) for some metric at every checkpoint');
  }
  if (method !== 'sweep' && replicates) {
    const run = boundaryIdx.length > 0
      ? replicateConfidence(series, replicates.values, boundaryIdx, fixedOptions, tolerance)
      : { confidence: [], replicates: replicates.length };
    return { confidence: run.confidence, settings: { method: 'bootstrap', source: 'replicates', tolerance, replicates: run.replicates, seed: null, prompts: null, metrics: replicates.metrics } };
  }
  if (method !== 'sweep' && perPrompt) {
    const count = options.confidence?.replicates ?? DEFAULT_BOOTSTRAP.replicates;
    const seed = options.confidence?.seed ?? DEFAULT_BOOTSTRAP.seed;
    const run = boundaryIdx.length > 0
      ? bootstrapConfidence(series, perPrompt.values, boundaryIdx, fixedOptions, { replicates: count, seed, tolerance })
      : { confidence: [], replicates: count, prompts: perPrompt.length };
    return { confidence: run.confidence, settings: { method: 'bootstrap', source: 'per-prompt', tolerance, replicates: count, seed, prompts: run.prompts, metrics: perPrompt.metrics } };
  }
  const sweep = { ...DEFAULT_SWEEP, ...options.confidence?.sweep };
  const confidence = boundaryIdx.length > 0 ? penaltySweepConfidence(series, boundaryIdx, fixedOptions, { ...sweep, tolerance }).confidence : [];
  if (!replicates && !perPrompt) unavailable.bootstrap = 'no replicate series or per-prompt values: confidence from a penalty sweep instead';
  return { confidence, settings: { method: 'penalty-sweep', tolerance, penalties: [sweep.low * fixedOptions.penalty, sweep.high * fixedOptions.penalty], steps: sweep.steps } };
}

function fmtActivity(p: LabelledPhase): string {
  return p.stats.activity === null ? 'n/a' : p.stats.activity.toFixed(2);
}
