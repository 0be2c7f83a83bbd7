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
import { readJsonFile } from '../util/files.js';

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

export const recordFile = (out: string, step: number): string => path.join(out, 'records', `${step}.json`);
export const influenceFile = (out: string, step: number): string => path.join(out, 'influence', `${step}.json`);
export const graphFile = (out: string, step: number): string => path.join(out, 'graphs', `${step}.gexf`);
export const replicatesFile = (out: string, step: number): string => path.join(out, 'replicates', `${step}.json`);

/** The record of `step` if it exists, is readable and carries `key`; else null (to be computed). */
export function readDoneRecord(out: string, step: number, key: RecordKey): CheckpointRecord | null {
  const file = recordFile(out, step);
  if (!existsSync(file) || !existsSync(influenceFile(out, step)) || !existsSync(graphFile(out, step))) return null;
  try {
    const record = readJsonFile(file) as CheckpointRecord;
    if (record.format !== 'cntlens-checkpoint-record' || record.key?.checkpoint !== key.checkpoint || record.key?.settings !== key.settings) return null;
    return record;
  } catch {
    return null;
  }
}

/** Any readable record of `step`, whatever its key (for merging shards). */
export function readRecord(out: string, step: number): CheckpointRecord | null {
  const file = recordFile(out, step);
  if (!existsSync(file)) return null;
  return readJsonFile(file) as CheckpointRecord;
}
