/**
 * Checks a `ReportData` before anything is drawn, so a bad input fails with a message that says
 * what is wrong (and where) instead of an empty or misleading figure. Returns a cleaned copy:
 * NaN / ±Infinity metric values become null (JSON cannot carry them and Vega would drop them
 * silently anyway).
 */
import { InputError } from '../util/errors.js';
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
    if (typeof id !== 'string' || id === '') fail(`nodes: every id must be a non-empty string, got ${JSON.stringify(id)}`);
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
        if (!Number.isFinite(Number(step))) fail(`roles.${kind}: key ${JSON.stringify(step)} is not a step`);
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
  return { ...data, checkpoints, ...(cleanPhases ? { phases: cleanPhases } : {}) };
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
    else fail(`${where}.${key} must be a number or null, got ${JSON.stringify(value)}`);
  }
  return out;
}
