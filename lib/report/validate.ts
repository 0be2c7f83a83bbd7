/**
 * Checks a `ReportData` before anything is drawn, so a bad input fails with a message that says
 * what is wrong (and where) instead of an empty or misleading figure. Returns a cleaned copy:
 * NaN / ±Infinity metric values become null (JSON cannot carry them and Vega would drop them
 * silently anyway).
 */
import { InputError, preview } from '../util/errors.js';
import type { Finding, FindingsResult } from '../findings/findings.js';
import type { MetricValue, ReportCheckpoint, ReportData, ReportPhaseChange, ReportPhases } from './types.js';

export function validateReportData(data: ReportData, source = 'report data'): ReportData {
  const fail = (problem: string): never => {
    throw new InputError(source, problem);
  };
  if (data === null || typeof data !== 'object') fail('expected an object');
  if (typeof data.title !== 'string') fail('title must be a string');
  if (data.settings === null || typeof data.settings !== 'object') fail('settings must be an object');

  const nodes = data.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) fail('nodes must be a non-empty array of node ids');
  const nodeSet = new Set<string>();
  for (const id of nodes) {
    if (typeof id !== 'string' || id === '') fail(`nodes: every id must be a non-empty string, got ${preview(id)}`);
    if (nodeSet.has(id)) fail(`nodes: duplicate id ${id}`);
    nodeSet.add(id);
  }
  const n = nodes.length;

  if (!Array.isArray(data.checkpoints) || data.checkpoints.length === 0) fail('checkpoints must be a non-empty array');
  let previousStep = -Infinity;
  const checkpoints = data.checkpoints.map((ck, c): ReportCheckpoint => {
    const where = `checkpoints[${c}]`;
    if (typeof ck.step !== 'number' || !Number.isFinite(ck.step)) fail(`${where}.step must be a finite number`);
    if (ck.step <= previousStep) fail(`${where}.step ${ck.step} is not greater than the previous step ${previousStep}`);
    previousStep = ck.step;
    if (!Array.isArray(ck.matrix) || ck.matrix.length !== n) fail(`${where}.matrix must have ${n} rows (one per node), got ${Array.isArray(ck.matrix) ? ck.matrix.length : typeof ck.matrix}`);
    ck.matrix.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== n) fail(`${where}.matrix[${i}] must have ${n} entries, got ${Array.isArray(row) ? row.length : typeof row}`);
      row.forEach((w, j) => {
        if (typeof w !== 'number' || !Number.isFinite(w)) fail(`${where}.matrix[${i}][${j}] (${nodes[i]} → ${nodes[j]}) is not a finite number: ${w}`);
      });
    });
    if (ck.metrics === null || typeof ck.metrics !== 'object') fail(`${where}.metrics must be an object`);
    const metrics = cleanRecord(ck.metrics, `${where}.metrics`, fail);
    let nodeMetrics: ReportCheckpoint['nodeMetrics'];
    if (ck.nodeMetrics !== undefined) {
      nodeMetrics = {};
      for (const [id, record] of Object.entries(ck.nodeMetrics)) {
        if (!nodeSet.has(id)) fail(`${where}.nodeMetrics: unknown node ${id}`);
        nodeMetrics[id] = cleanRecord(record, `${where}.nodeMetrics.${id}`, fail);
      }
    }
    if (ck.communities !== undefined) {
      if (!Array.isArray(ck.communities)) fail(`${where}.communities must be an array of arrays of node ids`);
      const seen = new Set<string>();
      ck.communities.forEach((community, k) => {
        if (!Array.isArray(community)) fail(`${where}.communities[${k}] must be an array of node ids`);
        for (const id of community) {
          if (!nodeSet.has(id)) fail(`${where}.communities[${k}]: unknown node ${id}`);
          if (seen.has(id)) fail(`${where}.communities: node ${id} is in more than one community`);
          seen.add(id);
        }
      });
    }
    return { ...ck, metrics, nodeMetrics };
  });

  if (data.phases !== undefined) {
    const { boundaries, phases, confidence } = data.phases;
    if (!Array.isArray(boundaries) || boundaries.some((b) => typeof b !== 'number' || !Number.isFinite(b))) fail('phases.boundaries must be an array of steps');
    if (!Array.isArray(phases)) fail('phases.phases must be an array');
    phases.forEach((p, k) => {
      if (typeof p.start !== 'number' || typeof p.end !== 'number' || !(p.start <= p.end)) fail(`phases.phases[${k}] needs numeric start <= end, got ${p.start}..${p.end}`);
      if (typeof p.label !== 'string') fail(`phases.phases[${k}].label must be a string`);
      if (k > 0 && p.start < phases[k - 1].end) fail(`phases.phases[${k}] starts (${p.start}) before the previous phase ends (${phases[k - 1].end})`);
      if (p.reason !== undefined && typeof p.reason !== 'string') fail(`phases.phases[${k}].reason must be a string`);
      if (p.merged !== undefined) {
        if (!Array.isArray(p.merged)) fail(`phases.phases[${k}].merged must be an array of { step, reason }`);
        p.merged.forEach((m, j) => {
          if (m === null || typeof m !== 'object' || !isFiniteNumber(m.step) || typeof m.reason !== 'string') fail(`phases.phases[${k}].merged[${j}] must be { step: number, reason: string }`);
        });
      }
    });
    if (confidence !== undefined && (!Array.isArray(confidence) || confidence.length !== boundaries.length)) {
      fail(`phases.confidence must have one value per boundary (${boundaries.length})`);
    }
    const { warmup } = data.phases;
    if (warmup !== undefined && warmup !== null) {
      if (typeof warmup !== 'object' || !isFiniteNumber(warmup.start) || !isFiniteNumber(warmup.end) || !isFiniteNumber(warmup.beforeStep) || warmup.start > warmup.end) {
        fail('phases.warmup must be null or { start, end, beforeStep } with numeric start <= end');
      }
      if (phases.length > 0 && warmup.end >= phases[0].start) fail(`phases.warmup ends (${warmup.end}) at or after the first phase starts (${phases[0].start})`);
    }
  }
  const cleanPhases = data.phases?.changes === undefined ? data.phases : { ...data.phases, changes: cleanChanges(data.phases.changes, fail) };

  if (data.roles !== undefined) {
    for (const kind of ['spreaders', 'gatherers'] as const) {
      const table = data.roles[kind];
      if (table === null || typeof table !== 'object') fail(`roles.${kind} must map steps to ranked node ids`);
      for (const [step, ranked] of Object.entries(table)) {
        if (!Number.isFinite(Number(step))) fail(`roles.${kind}: key ${preview(step)} is not a step`);
        if (!Array.isArray(ranked)) fail(`roles.${kind}[${step}] must be an array of node ids`);
        for (const id of ranked) if (!nodeSet.has(id)) fail(`roles.${kind}[${step}]: unknown node ${id}`);
      }
    }
  }
  if (data.graphMetrics !== undefined && (!Array.isArray(data.graphMetrics) || data.graphMetrics.some((m) => typeof m !== 'string'))) {
    fail('graphMetrics must be an array of metric names');
  }
  if (data.summary !== undefined && (!Array.isArray(data.summary) || data.summary.some((s) => typeof s !== 'string'))) {
    fail('summary must be an array of strings');
  }
  const findings = data.findings === undefined ? undefined : cleanFindings(data.findings, fail);
  return { ...data, checkpoints, ...(cleanPhases ? { phases: cleanPhases } : {}), ...(findings ? { findings } : {}) };
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * `phases.changes` comes from phases.json, whose writer may leave numbers out (NaN has no JSON
 * form): a missing confidence becomes null, missing metrics an empty list, a missing number in a
 * metric null (shown as —). Only what the table cannot show at all (no step, no summary) fails.
 */
function cleanChanges(changes: ReportPhaseChange[], fail: (problem: string) => never): NonNullable<ReportPhases['changes']> {
  if (!Array.isArray(changes)) fail('phases.changes must be an array (one entry per boundary)');
  return changes.map((c, k) => {
    const where = `phases.changes[${k}]`;
    if (c === null || typeof c !== 'object') fail(`${where} must be an object`);
    if (!isFiniteNumber(c.step)) fail(`${where}.step must be a finite number`);
    if (typeof c.summary !== 'string') fail(`${where}.summary must be a string`);
    if (c.confidence !== undefined && c.confidence !== null && typeof c.confidence !== 'number') fail(`${where}.confidence must be a number or null`);
    if (c.metrics !== undefined && !Array.isArray(c.metrics)) fail(`${where}.metrics must be an array`);
    const metrics = (c.metrics ?? []).map((m, j) => {
      if (m === null || typeof m !== 'object' || typeof m.metric !== 'string') fail(`${where}.metrics[${j}].metric must be a string`);
      const num = (v: unknown): MetricValue => (isFiniteNumber(v) ? v : null);
      return { metric: m.metric, levelJump: num(m.levelJump), slopeBefore: num(m.slopeBefore), slopeAfter: num(m.slopeAfter), share: num(m.share) };
    });
    return { ...c, confidence: isFiniteNumber(c.confidence) ? c.confidence : null, metrics };
  });
}

/** The claims of a `FindingsResult`, in the order the report shows them. */
export const FINDING_KEYS = ['spreaderStability', 'gathererStability', 'stabilityDifference', 'reconfiguration', 'longTail'] as const;
export const VERDICTS = ['supported', 'not supported', 'not beyond structure', 'undetermined'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A number or null (JSON writes NaN as null; a non-finite number is read as null). */
const isNumberOrNull = (v: unknown): v is number | null => v === null || typeof v === 'number';
const finiteOrNull = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/**
 * The findings block (lib/findings' `FindingsResult`): every claim must have its fields with the
 * right types and a known verdict; the settings the method line reads must be numbers; the details
 * the section's tables read (per-phase stability, the tail per phase, the trajectory groups) are
 * checked where present and may be left out. Non-finite numbers of a claim become null.
 */
function cleanFindings(f: FindingsResult, fail: (problem: string) => never): FindingsResult {
  if (!isObject(f)) fail('findings must be an object (a FindingsResult of lib/findings)');
  const claims = {} as Record<(typeof FINDING_KEYS)[number], Finding>;
  for (const key of FINDING_KEYS) {
    const where = `findings.${key}`;
    const c = f[key] as unknown;
    if (!isObject(c)) fail(`${where} must be an object { claim, statistic, value, interval, p, verdict, sentence }`);
    for (const field of ['claim', 'statistic', 'sentence'] as const) if (typeof c[field] !== 'string') fail(`${where}.${field} must be a string`);
    if (!isNumberOrNull(c.value)) fail(`${where}.value must be a number or null, got ${preview(c.value)}`);
    if (!isNumberOrNull(c.p)) fail(`${where}.p must be a number or null, got ${preview(c.p)}`);
    if (typeof c.p === 'number' && Number.isFinite(c.p) && (c.p < 0 || c.p > 1)) fail(`${where}.p must lie in [0, 1], got ${c.p}`);
    const interval = c.interval;
    if (interval !== null && (!Array.isArray(interval) || interval.length !== 2 || !interval.every(isFiniteNumber) || interval[0] > interval[1])) {
      fail(`${where}.interval must be null or [lo, hi] with finite lo <= hi, got ${preview(interval)}`);
    }
    if (!(VERDICTS as readonly unknown[]).includes(c.verdict)) fail(`${where}.verdict must be one of ${VERDICTS.map((v) => `'${v}'`).join(', ')}, got ${preview(c.verdict)}`);
    const finding = c as unknown as Finding;
    claims[key] = { ...finding, value: finiteOrNull(finding.value), p: finiteOrNull(finding.p) };
  }
  const settings = f.settings as unknown;
  if (!isObject(settings)) fail('findings.settings must be an object');
  for (const field of ['perClaimLevel', 'resamplesUsed'] as const) if (!isFiniteNumber(settings[field])) fail(`findings.settings.${field} must be a finite number`);
  if (settings.level !== undefined && !isFiniteNumber(settings.level)) fail('findings.settings.level must be a finite number');
  if (typeof settings.nullModel !== 'string') fail('findings.settings.nullModel must be a string');
  const unavailable = f.unavailable as unknown;
  if (unavailable !== undefined) {
    if (!isObject(unavailable)) fail('findings.unavailable must map names to reasons');
    for (const [k, v] of Object.entries(unavailable)) if (typeof v !== 'string') fail(`findings.unavailable.${k} must be a string`);
  }
  const details = f.details as unknown;
  if (details !== undefined && details !== null) {
    if (!isObject(details)) fail('findings.details must be an object');
    for (const role of ['spreader', 'gatherer'] as const) {
      const d = details[role];
      if (d === undefined || d === null) continue;
      if (!isObject(d)) fail(`findings.details.${role} must be an object`);
      for (const kind of ['raw', 'nullCorrected'] as const) {
        const s = d[kind];
        if (s === undefined || s === null) continue;
        if (!isObject(s)) fail(`findings.details.${role}.${kind} must be an object { taus, mean, perSegment }`);
        if (s.mean !== undefined && !isNumberOrNull(s.mean)) fail(`findings.details.${role}.${kind}.mean must be a number or null`);
        if (s.perSegment !== undefined && (!Array.isArray(s.perSegment) || !s.perSegment.every(isNumberOrNull))) fail(`findings.details.${role}.${kind}.perSegment must be an array of numbers or nulls`);
      }
    }
    const tail = details.tail;
    if (tail !== undefined && tail !== null) {
      if (!isObject(tail)) fail('findings.details.tail must be an object');
      if (tail.perPhase !== undefined) {
        if (!Array.isArray(tail.perPhase)) fail('findings.details.tail.perPhase must be an array');
        tail.perPhase.forEach((p: unknown, k: number) => {
          const where = `findings.details.tail.perPhase[${k}]`;
          if (!isObject(p)) fail(`${where} must be an object`);
          if (typeof p.label !== 'string') fail(`${where}.label must be a string`);
          for (const field of ['start', 'end', 'longTailed', 'plausiblePowerLaw', 'lognormalPreferred'] as const) {
            if (p[field] !== undefined && !isNumberOrNull(p[field])) fail(`${where}.${field} must be a number or null`);
          }
        });
      }
      const alpha = tail.finalAlpha;
      if (alpha !== undefined && alpha !== null && (!isObject(alpha) || !isNumberOrNull(alpha.value ?? null))) fail('findings.details.tail.finalAlpha must be { value: number | null, interval }');
    }
    const traj = details.trajectories;
    if (traj !== undefined && traj !== null) {
      if (!isObject(traj)) fail('findings.details.trajectories must be null or { k, silhouette, groups }');
      if (!isFiniteNumber(traj.k)) fail('findings.details.trajectories.k must be a finite number');
      if (!isNumberOrNull(traj.silhouette)) fail('findings.details.trajectories.silhouette must be a number or null');
      if (!Array.isArray(traj.groups)) fail('findings.details.trajectories.groups must be an array of { members }');
      traj.groups.forEach((g: unknown, k: number) => {
        if (!isObject(g) || !Array.isArray(g.members) || g.members.some((m) => typeof m !== 'string')) fail(`findings.details.trajectories.groups[${k}].members must be an array of node ids`);
      });
    }
  }
  return { ...f, ...claims };
}

function cleanRecord(
  record: Record<string, MetricValue>,
  where: string,
  fail: (problem: string) => never,
): Record<string, MetricValue> {
  if (record === null || typeof record !== 'object') fail(`${where} must be an object`);
  const out: Record<string, MetricValue> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined) out[key] = null;
    else if (typeof value === 'number') out[key] = Number.isFinite(value) ? value : null;
    else fail(`${where}.${key} must be a number or null, got ${preview(value)}`);
  }
  return out;
}
