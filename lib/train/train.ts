/**
 * A whole training run on disk: `trainTinyModel` trains from scratch and writes
 *
 *   OUT/step0/, OUT/step1/, …    Hugging Face checkpoints (checkpoints.ts), Pythia-like schedule
 *   OUT/train-log.csv            step, loss, repeated-half loss, best induction score (log.ts)
 *   OUT/train-config.json        the resolved settings
 *   OUT/train-done.json          written last: settings hash, checkpoint list, timing, summary
 *
 * `ensureTrained` reuses OUT when its `train-done.json` names the same settings hash and every
 * checkpoint is present, so `npm run experiment` trains once. A folder holding a finished run of
 * other settings is refused (pass `overwrite`), never silently replaced. An unfinished run (a
 * crash) is restarted from step 0: training is deterministic, so the result is the same.
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OptionError } from '../util/errors.js';
import { checkOutputFolder, ensureFolderSync, writeFileAtomic } from '../util/files.js';
import { Progress } from '../util/progress.js';
import { initBackend } from '../model/backend.js';
import { resolveTrainConfig, settingsHash } from './config.js';
import { checkpointName, removeStaleTemporaries, writeCheckpoint } from './checkpoints.js';
import { formatLog, phaseChange, type LogRow, type PhaseChange } from './log.js';
import { checkpointSteps } from './schedule.js';
import { Trainer } from './trainer.js';
import { createTrainableModelFactory } from './model.js';

export const LOG_FILE = 'train-log.csv';
export const CONFIG_FILE = 'train-config.json';
export const DONE_FILE = 'train-done.json';

export interface TrainOptions {
  /** Overrides of DEFAULT_TRAIN_CONFIG (or a complete TrainConfig). */
  config?: unknown;
  /** TF.js backend (initBackend; default $CNTLENS_BACKEND or wasm). */
  backend?: string;
  /** No progress bar. */
  quiet?: boolean;
  /** Replace a finished run of other settings in the output folder. */
  overwrite?: boolean;
  /** Called after every update (e.g. for a custom progress display). */
  onStep?: (info: { step: number; loss: number; lr: number }) => void;
  /** The option that named the output folder, for messages (default --out; the experiment's --train-dir). */
  outOption?: string;
}

/** What `train-done.json` holds. */
export interface TrainSummary {
  format: 'cntlens-train';
  version: 1;
  settingsHash: string;
  /** Checkpoint folder names, in step order. */
  checkpoints: string[];
  steps: number[];
  backend: string;
  embedding: 'gather' | 'onehot';
  /** Wall-clock seconds of the training loop (checkpoint writing included). */
  seconds: number;
  phaseChange: PhaseChange;
}

export interface TrainResult {
  dir: string;
  /** Absolute checkpoint folders, in step order. */
  checkpoints: string[];
  summary: TrainSummary;
  /** True when an existing finished run was reused. */
  reused: boolean;
}

/** Train (or reuse) the run described by `options.config` in `dir`. */
export async function ensureTrained(dir: string, options: TrainOptions = {}): Promise<TrainResult> {
  const config = resolveTrainConfig(options.config ?? {}, 'train options');
  checkTrainFolder(dir, options.outOption ?? '--out');
  const existing = readFinishedRun(dir);
  if (existing) {
    if (existing.settingsHash === settingsHash(config)) {
      const complete = existing.checkpoints.every((c) => existsSync(path.join(dir, c, 'model.safetensors')) && existsSync(path.join(dir, c, 'config.json')));
      if (complete) return { dir, checkpoints: existing.checkpoints.map((c) => path.resolve(dir, c)), summary: existing, reused: true };
      // Same settings, checkpoints lost: retrain (deterministic, so the same run comes back).
    } else if (!options.overwrite) {
      throw new OptionError(options.outOption ?? '--out', `${dir} holds a finished training run with other settings; choose another folder or pass --overwrite`);
    }
  }
  return trainTinyModel(dir, { ...options, config });
}

/** Train from scratch into `dir`, always (see ensureTrained for reuse). */
export async function trainTinyModel(dir: string, options: TrainOptions = {}): Promise<TrainResult> {
  const config = resolveTrainConfig(options.config ?? {}, 'train options');
  checkTrainFolder(dir, options.outOption ?? '--out');
  const backend = await initBackend({ backend: options.backend, quiet: options.quiet });
  ensureFolderSync(dir);
  await clearRun(dir);
  await writeFileAtomic(path.join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');

  const { factory, embedding } = createTrainableModelFactory(config.embedding);
  const trainer = new Trainer(config, factory);
  const saveAt = new Set(checkpointSteps({ totalSteps: config.steps, evenly: config.checkpoints.evenly, logSpaced: config.checkpoints.logSpaced }));
  const progress = new Progress({ label: 'train', total: config.steps, unit: 'step', quiet: options.quiet });
  const rows: LogRow[] = [];
  const checkpoints: string[] = [];
  const start = Date.now();
  try {
    for (let step = 0; ; step++) {
      const evaluation = saveAt.has(step) || step % config.eval.every === 0 || step === config.steps ? trainer.evaluate() : null;
      if (saveAt.has(step)) {
        await writeCheckpoint(dir, step, trainer.neox, trainer.stateDict(), config.checkpoints.dtype);
        checkpoints.push(checkpointName(step));
      }
      const last = step === config.steps;
      const lr = last ? 0 : trainer.nextLr;
      const loss = last ? trainer.currentLoss() : trainer.update().loss;
      if (evaluation) {
        rows.push({ step, loss, repeatedHalfLoss: evaluation.repeatedHalfLoss, bestInductionScore: evaluation.bestScore, bestInductionHead: evaluation.bestHead, lr });
        await writeFileAtomic(path.join(dir, LOG_FILE), formatLog(rows));
      }
      if (last) break;
      options.onStep?.({ step: step + 1, loss, lr });
      const ind = rows.length > 0 ? ` ind ${rows[rows.length - 1].bestInductionScore.toFixed(2)}` : '';
      progress.tick(`loss ${loss.toFixed(3)}${ind}`);
    }
  } finally {
    trainer.dispose();
  }
  const seconds = (Date.now() - start) / 1000;
  progress.finish(`loss ${rows[rows.length - 1].loss.toFixed(3)} ind ${rows[rows.length - 1].bestInductionScore.toFixed(2)} in ${seconds.toFixed(1)} s`);
  const summary: TrainSummary = {
    format: 'cntlens-train',
    version: 1,
    settingsHash: settingsHash(config),
    checkpoints,
    steps: [...saveAt].sort((a, b) => a - b),
    backend,
    embedding,
    seconds,
    phaseChange: phaseChange(rows),
  };
  await writeFileAtomic(path.join(dir, DONE_FILE), JSON.stringify(summary, null, 2) + '\n');
  return { dir, checkpoints: checkpoints.map((c) => path.resolve(dir, c)), summary, reused: false };
}

/**
 * The output must be a folder (or not exist yet), its files writable (checkOutputFolder), and not
 * hold checkpoint folders of something else: a run replaces the step<N>/ folders it finds, which
 * is only right when they are its own (a train-config.json or train-done.json says so).
 */
export function checkTrainFolder(dir: string, option = '--out'): void {
  checkOutputFolder(dir, option, [CONFIG_FILE, LOG_FILE, DONE_FILE]);
  if (!existsSync(dir) || existsSync(path.join(dir, CONFIG_FILE)) || existsSync(path.join(dir, DONE_FILE))) return;
  const foreign = readdirSync(dir).filter((name) => /^step\d+$/.test(name));
  if (foreign.length > 0) {
    throw new OptionError(option, `${dir} holds checkpoint folders (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}) that no cntlens training wrote; a training run would replace them: choose another folder`);
  }
}

/** The finished run recorded in `dir`, or null (none, unreadable, or another format). */
export function readFinishedRun(dir: string): TrainSummary | null {
  const file = path.join(dir, DONE_FILE);
  if (!existsSync(file)) return null;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as TrainSummary;
    return json.format === 'cntlens-train' && typeof json.settingsHash === 'string' && Array.isArray(json.checkpoints) ? json : null;
  } catch {
    return null;
  }
}

/** Remove what a previous run left (its marker first, so a crash mid-way never looks finished). */
async function clearRun(dir: string): Promise<void> {
  await fs.rm(path.join(dir, DONE_FILE), { force: true });
  await removeStaleTemporaries(dir);
  for (const name of await fs.readdir(dir)) {
    if (/^step\d+$/.test(name) || name === LOG_FILE || name === CONFIG_FILE) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}
