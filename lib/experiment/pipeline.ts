/**
 * `cntlens experiment`: for each checkpoint load → influence sweep → network metrics (in a pool
 * of worker threads), then phases and roles over the series, then the report.
 *
 * Resumable: per-checkpoint results are keyed by the checkpoint's content hash and the settings
 * (records.ts); a rerun skips what is done. Shardable: `shard: {index, count}` processes only its
 * share and leaves the series stage to `mergeResults`, which any process can run once every
 * shard is in.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makePlan } from '../ablation/plan.js';
import { inductionPrompts, readPromptsFile } from '../ablation/tasks.js';
import { resolveCheckpoints, type CheckpointRef } from '../checkpoints/sources.js';
import { initBackend } from '../model/backend.js';
import { checkpointHash } from '../model/checkpoint.js';
import { readConfig } from '../model/config.js';
import type { NeoXConfig } from '../model/types.js';
import { resolveTrainConfig } from '../train/config.js';
import { ensureTrained, readFinishedRun } from '../train/train.js';
import { CntlensError, InputError } from '../util/errors.js';
import { checkOutputFolder, readJsonFile, TEMPORARY_FILE, writeFileAtomic } from '../util/files.js';
import { memoryLimit } from '../util/resources.js';
import { checkHalfLen, checkInfluenceRequest } from '../ablation/influence.js';
import { MIN_CHECKPOINTS } from '../phases/csv.js';
import { checkTrainFolder } from '../train/train.js';
import { settingsHash } from '../util/hash.js';
import { packageVersion, siblingModule } from '../util/package.js';
import { defaultWorkerCount, mapInPool } from '../util/pool.js';
import { Progress } from '../util/progress.js';
import { importPlugins, sweepOptions, type CheckpointTask, type TaskInit, type TaskOutcome } from './checkpoint-task.js';
import { checkExperimentConfig, type ExperimentConfig } from './config.js';
import { influenceFile, perCheckpointFilesProblem, readDoneRecord, readRecord, SERIES_STAGE_FILES, type CheckpointRecord } from './records.js';
import { attachReplicates, bootstrapSettings, perPromptValues, type ReplicateSource } from './replicates.js';
import { readMatrix } from './series.js';
import { runSeriesStage } from './series-stage.js';
import { takeShard, type Shard } from './shard.js';

const TASK_MODULE = siblingModule(new URL('./checkpoint-task.js', import.meta.url));
const PLAN_FILE = 'plan.json';
/** The files an experiment writes at the top of its results folder (checked before any work). */
const RESULT_FILES = [PLAN_FILE, ...SERIES_STAGE_FILES];

export interface ExperimentOptions {
  shard?: Shard | null;
  quiet?: boolean;
  /** Where progress and the summary go (default stderr). */
  log?: (line: string) => void;
}

export interface CheckpointStatus {
  name: string;
  step: number;
  dir: string;
  hash: string | null;
  status: 'computed' | 'reused' | 'failed' | 'other-shard';
  seconds?: number;
  error?: string;
}

export interface ExperimentResult {
  out: string;
  checkpoints: CheckpointStatus[];
  /** Null for a shard run (the series stage waits for `merge`). */
  summary: string[] | null;
}

/** The plan every shard agrees on: the settings and the whole checkpoint series. */
interface Plan {
  format: 'cntlens-plan';
  version: 1;
  config: ResultSettings;
  /** The backend that computes the records (part of their settings key). */
  backend: string;
  checkpoints: { name: string; step: number; dir: string }[];
}

export async function runExperiment(config: ExperimentConfig, options: ExperimentOptions = {}): Promise<ExperimentResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const quiet = options.quiet ?? false;
  const out = path.resolve(config.out);
  const started = performance.now();
  checkExperimentConfig(config);
  // Every folder written is checked before any work (lib/util/files.ts, the output-path policy).
  checkOutputFolder(config.out, '--out', RESULT_FILES);
  if (config.checkpoints === 'default') checkTrainFolder(config.trainDir, '--train-dir');
  const backend = await initBackend({ backend: config.backend, quiet });

  // 1. The checkpoint series.
  let refs: CheckpointRef[];
  let defaultHalfLen: number | null = null;
  if (config.checkpoints === 'default') {
    if (options.shard && !readFinishedRun(config.trainDir)) {
      // Every shard would start training the same model into the same folder at once.
      throw new CntlensError(`--shard with the default checkpoints needs the tiny model trained first: run \`cntlens train --out ${config.trainDir}\` (with the experiment's "train" settings as its --config, if any) before starting the shards`);
    }
    const trained = await ensureTrained(config.trainDir, { config: config.train, backend: config.backend, quiet, outOption: '--train-dir' });
    if (!quiet) log(`cntlens: ${trained.reused ? 'reusing' : 'trained'} the tiny model in ${config.trainDir} (${trained.checkpoints.length} checkpoints)`);
    defaultHalfLen = resolveTrainConfig(config.train, 'train').eval.spanLength;
    refs = resolveCheckpoints(config.trainDir, { steps: config.steps });
  } else {
    refs = resolveCheckpoints(config.checkpoints, { steps: config.steps });
  }
  if (refs.length === 0) throw new CntlensError(`no checkpoints selected from ${config.checkpoints} (steps ${config.steps})`);
  // The series stage needs MIN_CHECKPOINTS: known now, so refused before any checkpoint is computed.
  if (refs.length < MIN_CHECKPOINTS) {
    throw new CntlensError(`${refs.length} checkpoint(s) selected from ${config.checkpoints} (steps ${config.steps}): the series stage needs at least ${MIN_CHECKPOINTS}`);
  }
  // Here too, not only in the workers: a bad plug-in, and the ablation it may register, are then
  // found by the checks below, before anything is written.
  await importPlugins(config.plugins);

  // 2. Keys, and what is already done.
  const mine = new Set(takeShard(refs, options.shard ?? null).map((r) => r.step));
  const statuses: CheckpointStatus[] = [];
  const todo: CheckpointTask[] = [];
  for (const ref of refs) {
    const status: CheckpointStatus = { name: ref.name, step: ref.step, dir: path.resolve(ref.dir), hash: null, status: 'other-shard' };
    statuses.push(status);
    if (!mine.has(ref.step)) continue;
    let modelConfig: NeoXConfig;
    let hash: string;
    try {
      modelConfig = readConfig(ref.dir);
      hash = status.hash = await checkpointHash(ref.dir);
    } catch (err) {
      if (!(err instanceof CntlensError) || config.strict) throw err;
      status.status = 'failed';
      status.error = err.message;
      log(`cntlens: skipping ${ref.name}: ${err.message}`);
      continue;
    }
    // Problems of the settings (a prompt file that cannot be read, prompts too long for the
    // context, positions past the prompt, an unknown ablation) are no checkpoint's fault: they
    // stop the run here, before any work, rather than skipping every checkpoint in turn.
    const prompts = taskPrompts(config, modelConfig, defaultHalfLen, Math.max(1, Math.min(config.workers || defaultWorkerCount(), refs.length)));
    makePlan(modelConfig, prompts, sweepOptions(config));
    const key = { checkpoint: hash, settings: perCheckpointSettingsHash(config, prompts, backend) };
    if (readDoneRecord(out, ref.step, key)) {
      status.status = 'reused';
      continue;
    }
    todo.push({ name: ref.name, step: ref.step, dir: path.resolve(ref.dir), key, prompts });
  }
  const usable = statuses.filter((s) => s.status !== 'failed').length;
  if (usable < MIN_CHECKPOINTS) {
    throw new CntlensError(`only ${usable} of ${statuses.length} checkpoint(s) can be loaded (the others are listed above): the series stage needs at least ${MIN_CHECKPOINTS}; nothing was computed`);
  }
  const plan: Plan = { format: 'cntlens-plan', version: 1, config: resultSettings(config), backend, checkpoints: refs.map((r) => ({ name: r.name, step: r.step, dir: path.resolve(r.dir) })) };
  await writeFileAtomic(path.join(out, PLAN_FILE), JSON.stringify(plan, null, 1) + '\n');
  const reused = statuses.filter((s) => s.status === 'reused').length;
  if (!quiet && reused > 0) log(`cntlens: ${reused} checkpoint(s) already done, ${todo.length} to compute`);

  // 3. The per-checkpoint stage, in a worker pool.
  const progress = new Progress({ label: 'influence', total: todo.length, unit: 'ckpt', quiet });
  const init: TaskInit = { config, out, quiet: true };
  await mapInPool<CheckpointTask, TaskOutcome>(todo, {
    module: TASK_MODULE,
    init,
    workers: config.workers,
    onResult: (i, outcome) => {
      const status = statuses.find((s) => s.step === todo[i].step)!;
      if (outcome.status === 'failed') {
        if (config.strict) throw new CntlensError(`${todo[i].dir}: ${outcome.message}`);
        status.status = 'failed';
        status.error = outcome.message;
        // On a terminal the progress bar is mid-line; elsewhere it prints whole lines.
        log(`${!quiet && process.stderr.isTTY ? '\n' : ''}cntlens: skipping ${outcome.name}: ${outcome.message}`);
      } else {
        status.status = 'computed';
        status.seconds = outcome.seconds;
      }
      progress.tick(outcome.name);
    },
  });
  progress.finish(`${todo.length} computed`);

  const timings = { workers: Math.max(1, Math.min(config.workers || defaultWorkerCount(), todo.length)), per_checkpoint_stage_s: (performance.now() - started) / 1000 };
  if (options.shard) {
    const part = { shard: `${options.shard.index}/${options.shard.count}`, backend, checkpoints: statuses.filter((s) => s.status !== 'other-shard'), timings };
    await writeFileAtomic(path.join(out, 'shards', `${options.shard.index}-of-${options.shard.count}.json`), JSON.stringify(part, null, 1) + '\n');
    if (!quiet) log(`cntlens: shard ${options.shard.index}/${options.shard.count} done; run \`cntlens merge ${config.out}\` once every shard is in`);
    return { out, checkpoints: statuses, summary: null };
  }
  const summary = await finishSeries(out, resultSettings(config), statuses, backend, timings, quiet, log);
  return { out, checkpoints: statuses, summary };
}

/** `cntlens merge DIR`: the series stage over the records that shards wrote into DIR. */
export async function mergeResults(outDir: string, options: { quiet?: boolean; log?: (line: string) => void } = {}): Promise<ExperimentResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const out = path.resolve(outDir);
  const planFile = path.join(out, PLAN_FILE);
  if (!existsSync(planFile)) throw new InputError(planFile, 'no plan.json: this folder holds no experiment (run `cntlens experiment --out DIR` first)');
  const plan = checkPlan(readJsonFile(planFile), planFile);
  checkOutputFolder(out, 'DIR', RESULT_FILES);
  // A record counts only if it was computed with the plan's settings: one left by an earlier run
  // with other settings (same folder) is as good as missing.
  const defaultHalfLen = plan.config.checkpoints === 'default' ? resolveTrainConfig(plan.config.train, 'train').eval.spanLength : null;
  const statuses: CheckpointStatus[] = plan.checkpoints.map((c) => {
    // A record that cannot be read, or whose influence and graph files are damaged, is missing.
    const record = readRecord(out, c.step, { quiet: true });
    const current = record !== null && record.key.settings === expectedSettingsKey(plan, c.dir, defaultHalfLen) && perCheckpointFilesProblem(out, c.step, record.key) === null;
    return { ...c, hash: current ? record.key.checkpoint : null, status: current ? 'reused' : 'failed' };
  });
  const missing = statuses.filter((s) => s.status === 'failed');
  const failedInShards = shardFailures(out);
  const unexplained = missing.filter((m) => !failedInShards.has(m.step));
  if (unexplained.length > 0) {
    throw new CntlensError(`${unexplained.length} of ${statuses.length} checkpoint(s) have no results with the plan's settings yet: ${unexplained.map((m) => m.name).join(', ')} (is every shard finished?)`);
  }
  for (const m of missing) m.error = failedInShards.get(m.step);
  const backend = await initBackend({ backend: plan.config.backend, quiet: true });
  const summary = await finishSeries(out, resultSettings(plan.config), statuses, backend, { merged_shards: true }, options.quiet ?? false, log);
  return { out, checkpoints: statuses, summary };
}

/**
 * plan.json as the shards wrote it, checked field by field: a damaged or hand-edited plan stops
 * `merge` with one line naming the file and the field.
 */
function checkPlan(raw: unknown, planFile: string): Plan {
  const plan = raw as Partial<Plan> | null;
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan) || plan.format !== 'cntlens-plan') throw new InputError(planFile, 'not a cntlens plan file');
  if (typeof plan.config !== 'object' || plan.config === null || Array.isArray(plan.config)) throw new InputError(planFile, '"config" must be the experiment settings object');
  if (typeof plan.backend !== 'string') throw new InputError(planFile, '"backend" must be a string');
  if (!Array.isArray(plan.checkpoints) || plan.checkpoints.length === 0) throw new InputError(planFile, '"checkpoints" must be a non-empty list of {name, step, dir}');
  plan.checkpoints.forEach((c, i) => {
    const ok = typeof c === 'object' && c !== null && typeof c.name === 'string' && typeof c.dir === 'string' && Number.isSafeInteger(c.step) && c.step >= 0;
    if (!ok) throw new InputError(planFile, `checkpoints[${i}] must be {name, step, dir} with a whole step`);
  });
  try {
    checkExperimentConfig({ ...(plan.config as ExperimentConfig), workers: 0 });
  } catch (err) {
    if (err instanceof CntlensError) throw new InputError(planFile, `"config": ${err.message}`);
    throw err;
  }
  return plan as Plan;
}

/** The settings key a checkpoint's record must carry under `plan`; null if its config cannot be read. */
function expectedSettingsKey(plan: Plan, dir: string, defaultHalfLen: number | null): string | null {
  try {
    return perCheckpointSettingsHash(plan.config, taskPrompts(plan.config, readConfig(dir), defaultHalfLen), plan.backend);
  } catch (err) {
    if (err instanceof CntlensError) return null;
    throw err;
  }
}

function shardFailures(out: string): Map<number, string> {
  const failures = new Map<number, string>();
  const dir = path.join(out, 'shards');
  if (!existsSync(dir)) return failures;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    const part = readJsonFile(path.join(dir, file)) as { checkpoints?: unknown } | null;
    if (!Array.isArray(part?.checkpoints)) throw new InputError(path.join(dir, file), 'not a shard summary (no "checkpoints" list); delete it and rerun that shard');
    for (const c of part.checkpoints as CheckpointStatus[]) if (c?.status === 'failed') failures.set(c.step, c.error ?? 'failed');
  }
  return failures;
}

/** The series stage over the records in `out` (after the checkpoint stage, or for `merge`). */
async function finishSeries(out: string, config: ResultSettings, statuses: CheckpointStatus[], backend: string, timings: Record<string, unknown>, quiet: boolean, log: (line: string) => void): Promise<string[]> {
  const seriesStart = performance.now();
  removeStaleTemporaries(out);
  const records: CheckpointRecord[] = statuses.filter((s) => s.status !== 'failed').map((s) => readRecord(out, s.step)!);
  if (records.length < 3) throw new CntlensError(`only ${records.length} checkpoint(s) analysed: the series stage needs at least 3`);
  const matrices = new Map(records.map((r) => [r.step, readMatrix(out, r.step)]));
  // Before the phases: they read the replicates from the records (seriesInput).
  const replicatesStart = performance.now();
  const replicates = await attachReplicates(out, records, config);
  const replicatesSeconds = (performance.now() - replicatesStart) / 1000;
  const failed = statuses.filter((s) => s.status === 'failed');
  const { summary } = await runSeriesStage({
    out,
    settings: config,
    records,
    matrices,
    perPrompt: (step) => perPromptValues(readJsonFile(influenceFile(out, step)) as ReplicateSource),
    replicates,
    manifest: {
      run: { backend },
      checkpoints: statuses,
      files: {
        influence: 'influence/<step>.json', graphs: 'graphs/<step>.gexf', records: 'records/<step>.json',
        ...(bootstrapSettings(config).replicates > 0 ? { replicates: 'replicates/<step>.json' } : {}),
      },
      timings: (seriesSeconds) => ({ ...timings, series_stage_s: seriesSeconds, replicates_recomputed: replicates.computed, replicates_recompute_s: replicatesSeconds }),
    },
    started: seriesStart,
    quiet,
    log,
    notes: failed.length > 0 ? [`Skipped ${failed.length} checkpoint(s): ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}`] : [],
    resultsLine: `Results in ${out}: report.html, metrics.csv, nodes.csv, phases.json, influence/, graphs/, figures/, manifest.json`,
  });
  return summary;
}

/**
 * The settings a results folder records (plan.json, manifest.json, the report): all but `workers`,
 * which says how the run was executed, not what it computed. Echoing it would make a `--workers 2`
 * run's report differ from a `--workers 1` run's, and shards started with different `--workers`
 * disagree about the plan. (The worker count goes to manifest.json's `timings`.)
 */
export type ResultSettings = Omit<ExperimentConfig, 'workers'>;

export function resultSettings(config: ResultSettings | ExperimentConfig): ResultSettings {
  const settings: Partial<ExperimentConfig> = { ...config };
  delete settings.workers;
  return settings as ResultSettings;
}

/**
 * Delete the half-written temporary files a killed run leaves (writeFileAtomic writes a sibling,
 * then renames it). Only in the series stage, when every shard is done and nothing else writes
 * into the folder; a shard run never deletes, since other shards may be writing.
 */
function removeStaleTemporaries(out: string): void {
  for (const dir of [out, ...['records', 'influence', 'graphs', 'replicates', 'figures', 'shards'].map((d) => path.join(out, d))]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (TEMPORARY_FILE.test(name)) rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * The prompts of the run: a prompt file, or induction prompts sized for the model. The request is
 * checked against the context and the memory (`workers` sweeps at once share it) before any
 * prompt is made.
 */
export function taskPrompts(config: ResultSettings, model: NeoXConfig, defaultHalfLen: number | null, workers = 1): number[][] {
  const limit = memoryLimit();
  const share = { bytes: Math.floor(limit.bytes / Math.max(1, workers)), source: workers > 1 ? `${limit.source}, shared by ${workers} workers` : limit.source };
  const resamples = config.influence.bootstrapResamples;
  if (config.task.prompts) {
    checkInfluenceRequest({ prompts: config.task.prompts }, model, { resamples, option: 'influence.bootstrapResamples' }, share);
    return readPromptsFile(config.task.prompts, { vocabSize: model.vocabSize, maxLength: model.maxPositionEmbeddings });
  }
  const context = model.maxPositionEmbeddings;
  if (config.task.halfLen !== null) checkHalfLen(config.task.halfLen, context);
  const halfLen = config.task.halfLen ?? Math.min(defaultHalfLen ?? 50, Math.floor((context - 1) / 2));
  checkInfluenceRequest({ task: { nPrompts: config.task.nPrompts, halfLen } }, model, { resamples, option: 'influence.bootstrapResamples' }, share);
  return inductionPrompts({ nPrompts: config.task.nPrompts, halfLen, seed: config.task.seed, tokenRange: config.task.tokenRange ?? undefined }, model.vocabSize);
}

/** Everything that changes a checkpoint's results, and so invalidates its record when changed. */
function perCheckpointSettingsHash(config: ResultSettings, prompts: number[][], backend: string): string {
  return settingsHash({ influence: config.influence, graph: config.graph, prompts, backend, plugins: config.plugins, version: packageVersion() });
}
