/**
 * The per-checkpoint stage of the experiment: load → influence sweep → network metrics (and their
 * bootstrap replicates) → files.
 * A task module for lib/util/pool.ts: each worker thread runs `init` once (its own TF.js backend,
 * plugins) and then `handle` per checkpoint. The files it writes are described in records.ts.
 */
import path from 'node:path';
import type { InfluenceOptions } from '../ablation/plan.js';
import { loadAblationPlugin } from '../ablation/plugins.js';
import { influenceSweep } from '../ablation/sweep.js';
import type { InfluenceResult } from '../ablation/result.js';
import { initBackend } from '../model/backend.js';
import { NeoXModel } from '../model/neox.js';
import { analyzeGraph } from '../network/analyze.js';
import { exportGraph } from '../network/export.js';
import { graphFromInfluence } from '../network/influence-graph.js';
import { CntlensError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import type { ExperimentConfig } from './config.js';
import { analyzeOptions, graphOptions } from './metrics.js';
import { graphFile, influenceFile, recordFile, type Behaviour, type CheckpointRecord, type RecordKey } from './records.js';
import { writeReplicates } from './replicates.js';

export interface TaskInit {
  config: ExperimentConfig;
  /** Absolute output folder. */
  out: string;
  quiet: boolean;
}

export interface CheckpointTask {
  name: string;
  step: number;
  dir: string;
  key: RecordKey;
  prompts: number[][];
}

export type TaskOutcome =
  | { status: 'done'; step: number; name: string; seconds: number; record: CheckpointRecord }
  | { status: 'failed'; step: number; name: string; message: string };

let settings: TaskInit | null = null;

export async function init(data: TaskInit): Promise<void> {
  settings = data;
  await initBackend({ backend: data.config.backend, quiet: true });
  await importPlugins(data.config.plugins);
}

/**
 * Import the `plugins` modules (each once per thread), registering any Ablation they export the
 * way `cntlens influence --plugin` does. A missing or broken module is the user's input error,
 * named by its file, not a crash.
 */
export async function importPlugins(plugins: readonly string[]): Promise<void> {
  for (const plugin of plugins) await loadAblationPlugin(plugin, { requireAblation: false });
}

/** The influence-sweep options of the settings (also used to check them before any work). */
export function sweepOptions(config: ExperimentConfig): InfluenceOptions {
  return {
    ablation: config.influence.ablation,
    measure: config.influence.measure,
    positions: config.influence.positions,
    lossPositions: config.influence.lossPositions ?? undefined,
    seed: config.influence.seed,
    bootstrap: { resamples: config.influence.bootstrapResamples, seed: config.influence.seed },
  };
}

/** Process one checkpoint; a checkpoint that cannot be loaded is a `failed` outcome, not a throw. */
export async function handle(task: CheckpointTask): Promise<TaskOutcome> {
  if (!settings) throw new Error('checkpoint-task: init was not called');
  const { config, out } = settings;
  const start = performance.now();
  let model: NeoXModel;
  try {
    model = await NeoXModel.load(task.dir);
  } catch (err) {
    if (err instanceof CntlensError) return { status: 'failed', step: task.step, name: task.name, message: err.message };
    throw err;
  }
  try {
    const influence = await influenceSweep(model, task.prompts, sweepOptions(config));
    const record = buildRecord(task, influence, config);
    // Timings would make reruns differ; they go to manifest.json instead.
    const stableSettings: Record<string, unknown> = { ...influence.settings };
    delete stableSettings.seconds;
    // The file carries its record's key, so a damaged or stale copy is recognised (records.ts).
    const influenceJson = { ...influence, settings: { ...stableSettings, checkpoint: task.name, step: task.step, key: task.key } };
    await writeFileAtomic(influenceFile(out, task.step), JSON.stringify(influenceJson) + '\n');
    // The GEXF names its source relative to the results folder, so the folder can be moved.
    const source = path.relative(out, influenceFile(out, task.step));
    const graph = graphFromInfluence(influenceJson, graphOptions(config), source);
    await writeFileAtomic(graphFile(out, task.step), exportGraph(graph, 'gexf'));
    await writeReplicates(out, task.step, task.key, influence, config);
    await writeFileAtomic(recordFile(out, task.step), JSON.stringify(record, null, 1) + '\n');
    return { status: 'done', step: task.step, name: task.name, seconds: (performance.now() - start) / 1000, record };
  } finally {
    model.dispose();
  }
}

/**
 * A checkpoint's record from its influence result (or an influence file with the same fields:
 * `cntlens analyze` builds its records with this too): the graph and its network metrics, the
 * behaviour and the per-head scores. Of the task only its name, step and key are read.
 */
export function buildRecord(task: Pick<CheckpointTask, 'name' | 'step' | 'key'> & Partial<CheckpointTask>, influence: Pick<InfluenceResult, 'nodes' | 'matrix' | 'behaviour' | 'delta_loss' | 'clean_loss'>, config: Pick<ExperimentConfig, 'graph'>): CheckpointRecord {
  const graph = graphFromInfluence(influence, graphOptions(config), task.name);
  const metrics = analyzeGraph(graph, analyzeOptions(config));
  const b = influence.behaviour;
  const headScores: CheckpointRecord['head_scores'] = {};
  b?.induction_scores.forEach((layer, l) =>
    layer.forEach((score, h) => {
      headScores[`L${l}H${h}`] = { induction: score, previous_token: b.prev_token_scores[l][h] };
    }),
  );
  const best = Object.entries(headScores).reduce<[string, number] | null>((acc, [head, s]) => (!acc || s.induction > acc[1] ? [head, s.induction] : acc), null);
  const behaviour: Behaviour = {
    loss_repeated: b ? b.repeat_loss : null,
    icl_score: b ? b.icl_score : null,
    induction_score_max: best ? best[1] : null,
    induction_head: best ? best[0] : null,
    clean_loss: influence.clean_loss,
  };
  return {
    format: 'cntlens-checkpoint-record',
    version: 1,
    key: task.key,
    name: task.name,
    step: task.step,
    behaviour,
    head_scores: headScores,
    delta_loss: influence.delta_loss,
    metrics,
  };
}
