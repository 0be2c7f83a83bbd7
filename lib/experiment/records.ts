/**
 * The per-checkpoint results of an experiment and where they live in the results folder:
 *
 * - `influence/<step>.json` — the influence sweep (the object `cntlens influence` writes);
 * - `graphs/<step>.gexf` — the component graph, for Gephi;
 * - `replicates/<step>.json` — the detection metrics on each bootstrap resample of the prompts
 *   (replicates.ts), keyed by the record's key and the bootstrap settings; recomputed by the series
 *   stage when missing or stale, so it does not count for whether a checkpoint is done;
 * - `records/<step>.json` — behaviour and network metrics, and the key that says which
 *   checkpoint (content hash) and which settings produced them. Written last, atomically: a
 *   checkpoint counts as done only when its record exists with the expected key, so a crash at any
 *   moment costs at most the checkpoint in progress.
 *
 * Nothing in these files depends on timing or on which worker produced them; timings go to
 * manifest.json.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MetricsReport } from '../network/analyze.js';
import { InputError } from '../util/errors.js';
import { readJsonFile, readTextFile } from '../util/files.js';

export interface RecordKey {
  /** sha256 of the checkpoint's config.json and weight files (checkpointHash). */
  checkpoint: string;
  /** Hash of every setting that affects this checkpoint's results (prompts included). */
  settings: string;
}

export interface Behaviour {
  /** Mean next-token loss on the repeated half of the induction prompts. */
  loss_repeated: number | null;
  /** Loss on the last tokens of the repeat minus that on its first ones (negative = in-context learning). */
  icl_score: number | null;
  /** Best induction-head score over all heads. */
  induction_score_max: number | null;
  /** The head with that score. */
  induction_head: string | null;
  /** Mean loss over the loss positions, nothing ablated. */
  clean_loss: number;
}

export interface CheckpointRecord {
  format: 'cntlens-checkpoint-record';
  version: 1;
  key: RecordKey;
  name: string;
  step: number;
  behaviour: Behaviour;
  /** Per head: induction and previous-token scores. */
  head_scores: Record<string, { induction: number; previous_token: number }>;
  delta_loss: Record<string, number>;
  /** Network metrics of the influence graph (the object `cntlens metrics` writes). */
  metrics: MetricsReport;
  /**
   * Bootstrap replicates of the detection metrics: metric → its value on each resample of the
   * prompts. Not part of records/<step>.json: the series stage attaches them from
   * replicates/<step>.json (replicates.ts), for seriesInput.
   */
  replicates?: Record<string, number[]>;
}

/** The files the series stage writes at the top of the results folder (its callers check them before any work). */
export const SERIES_STAGE_FILES = ['metrics.csv', 'nodes.csv', 'phases.json', 'report.html', 'manifest.json'];

export const recordFile = (out: string, step: number): string => path.join(out, 'records', `${step}.json`);
export const influenceFile = (out: string, step: number): string => path.join(out, 'influence', `${step}.json`);
export const graphFile = (out: string, step: number): string => path.join(out, 'graphs', `${step}.gexf`);
export const replicatesFile = (out: string, step: number): string => path.join(out, 'replicates', `${step}.json`);

/**
 * The record of `step` if it exists, is readable and carries `key`, and its influence and graph
 * files are whole and carry it too; else null (to be computed). A per-checkpoint file overwritten
 * or cut short is thus recomputed, as a missing one is, rather than read into the series.
 */
export function readDoneRecord(out: string, step: number, key: RecordKey): CheckpointRecord | null {
  const record = readRecord(out, step, { quiet: true });
  if (record === null || !sameKey(record.key, key)) return null;
  return perCheckpointFilesProblem(out, step, key) === null ? record : null;
}

/**
 * Any readable record of `step`, whatever its key (for merging shards); null when there is none,
 * or (quiet) when it cannot be read or is not a record.
 */
export function readRecord(out: string, step: number, options: { quiet?: boolean } = {}): CheckpointRecord | null {
  const file = recordFile(out, step);
  if (!existsSync(file)) return null;
  try {
    const record = readJsonFile(file) as CheckpointRecord | null;
    if (!isRecord(record)) throw new InputError(file, 'not a cntlens checkpoint record (damaged?); delete it to have the checkpoint recomputed');
    return record;
  } catch (err) {
    if (options.quiet) return null;
    throw err;
  }
}

function isRecord(value: unknown): value is CheckpointRecord {
  const r = value as CheckpointRecord | null;
  return typeof r === 'object' && r !== null && r.format === 'cntlens-checkpoint-record' && typeof r.key?.checkpoint === 'string' &&
    typeof r.key?.settings === 'string' && typeof r.metrics === 'object' && r.metrics !== null && typeof r.behaviour === 'object' && r.behaviour !== null;
}

function sameKey(a: RecordKey | undefined, b: RecordKey): boolean {
  return a?.checkpoint === b.checkpoint && a?.settings === b.settings;
}

/**
 * Why the influence and graph files of `step` cannot stand for the checkpoint keyed `key`, or null:
 * the influence file must parse, carry the key (`settings.key`) and hold a square matrix over its
 * nodes; the graph must be a complete GEXF file.
 */
export function perCheckpointFilesProblem(out: string, step: number, key: RecordKey): string | null {
  const influence = influenceFile(out, step);
  const graph = graphFile(out, step);
  if (!existsSync(influence)) return `${influence} is missing`;
  if (!existsSync(graph)) return `${graph} is missing`;
  let json: { nodes?: unknown; matrix?: unknown; settings?: { key?: RecordKey } } | null;
  try {
    json = readJsonFile(influence) as typeof json;
  } catch (err) {
    return (err as Error).message;
  }
  if (!sameKey(json?.settings?.key, key)) return `${influence} does not carry the record's key (damaged, or from another run)`;
  const nodes = json?.nodes;
  const matrix = json?.matrix;
  if (!Array.isArray(nodes) || !Array.isArray(matrix) || matrix.length !== nodes.length || !matrix.every((row) => Array.isArray(row) && row.length === nodes.length)) {
    return `${influence} has no square matrix over its nodes`;
  }
  try {
    const text = readTextFile(graph);
    if (!/<\/gexf>\s*$/.test(text)) return `${graph} is incomplete`;
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}
