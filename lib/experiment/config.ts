/**
 * The experiment's settings: one typed object with documented defaults, read from a JSON file
 * (`--config`) and overridden by command-line flags, echoed into manifest.json and the report.
 * Unknown keys and bad values are refused with an error naming the file (or flag) and the key.
 */
import { MEASURES } from '../ablation/measures.js';
import { parsePositions } from '../ablation/positions.js';
import { InputError, OptionError, preview } from '../util/errors.js';
import { readJsonFile } from '../util/files.js';

export interface ExperimentConfig {
  /**
   * Where the checkpoints come from: `default` (the tiny GPT-NeoX of `cntlens train`, trained into
   * `trainDir` on first use and reused afterwards), a folder of checkpoint folders (`step1000/` …),
   * `hf:ORG/NAME` (the Hugging Face hub cache), a comma-separated list of folders, or a list file.
   */
  checkpoints: string;
  /** Which steps to analyse: `all`, a list `0,1000`, ranges `1000..143000:1000`. */
  steps: string;
  /** Results folder. */
  out: string;
  /** Where the default tiny model is trained (only with checkpoints = default). */
  trainDir: string;
  /** Overrides of the training defaults (see docs/training.md), only with checkpoints = default. */
  train: Record<string, unknown>;
  task: {
    /** A prompt file `{"tokens": [[…], …]}` instead of generated induction prompts. */
    prompts: string | null;
    /** Number of induction prompts `[0] + R + R`. */
    nPrompts: number;
    /** Length of R; null = the trained model's evaluation span for `default`, else 50 (capped by the context). */
    halfLen: number | null;
    seed: number;
    /** Half-open range of R's token ids; null = [1, vocab). Pythia's tokenizer: [1, 50277). */
    tokenRange: [number, number] | null;
  };
  influence: {
    /** Registered ablation type: zero, mean, resample, noise, or a plugin's. */
    ablation: string;
    /** cosine, relative_l2 or kl. */
    measure: string;
    /** Measured positions: `all` or `from:to`. */
    positions: string;
    /** Loss positions `from:to`; null = the repeated half. */
    lossPositions: string | null;
    seed: number;
    bootstrapResamples: number;
  };
  graph: {
    /** Keep or drop the LOGITS sink in the graph metrics. */
    logits: 'keep' | 'drop';
    normalize: 'none' | 'max' | 'sum';
    /** Edge length for betweenness/closeness: inverse (1/w) or neglog (−ln(w/max)). */
    distance: 'inverse' | 'neglog';
    /** Size of the spreader / gatherer / gatekeeper sets. */
    rolesK: number;
    louvainSeed: number;
  };
  phases: {
    method: 'pelt' | 'binseg';
    /** Per-phase model: linear (own line per metric, default) or constant (own level). */
    model: 'linear' | 'constant';
    /**
     * Learning-rate warm-up steps left out of the phase search (shown as a warm-up band): `auto`
     * = the tiny model's `optim.warmupSteps` for the default checkpoints and 0 otherwise, or a
     * number of steps (Pythia: its warm-up is the first 1% of training, 1430 steps).
     */
    warmup: 'auto' | number;
    axis: 'auto' | 'index' | 'step' | 'logstep';
    /** Penalty per boundary; null = the default BIC-style penalty. */
    penalty: number | null;
    minSize: number;
    /**
     * Prompt bootstrap of the boundary confidence (replicates.ts): `replicates` resamples of the
     * prompts, drawn from `seed` (the same draws at every checkpoint), on each of which every
     * detection metric is recomputed from the per-prompt values; 0 = none (the confidence then
     * comes from a penalty sweep).
     */
    bootstrap: { replicates: number; seed: number };
  };
  /**
   * The study's claims as tested statistics (lib/findings, docs/findings.md): prompt resamples of
   * the intervals, null draws of the structure test, random boundary sets of the juncture test,
   * bootstrap draws of the tail's goodness of fit, the family-wise level (Bonferroni over the
   * claims) and the seed.
   */
  findings: { resamples: number; nullDraws: number; junctureDraws: number; tailDraws: number; level: number; seed: number };
  report: {
    /** Render the static SVG + PNG figures too. */
    figures: boolean;
  };
  /** TF.js backend: wasm (default), node-gpu, node, cpu or auto. */
  backend: string;
  /** Worker threads for the per-checkpoint stage; 0 = the core count. */
  workers: number;
  /** Stop at the first checkpoint that fails to load (default: report it and go on). */
  strict: boolean;
  /** Modules to import before the sweep (e.g. ones that register an ablation type). */
  plugins: string[];
}

export const DEFAULT_EXPERIMENT_CONFIG: ExperimentConfig = {
  checkpoints: 'default',
  steps: 'all',
  out: 'results',
  trainDir: 'data/tiny-neox',
  train: {},
  task: { prompts: null, nPrompts: 8, halfLen: null, seed: 0, tokenRange: null },
  influence: { ablation: 'zero', measure: 'cosine', positions: 'all', lossPositions: null, seed: 0, bootstrapResamples: 1000 },
  graph: { logits: 'keep', normalize: 'none', distance: 'inverse', rolesK: 5, louvainSeed: 0 },
  phases: { method: 'pelt', model: 'linear', warmup: 'auto', axis: 'auto', penalty: null, minSize: 3, bootstrap: { replicates: 100, seed: 0 } },
  findings: { resamples: 200, nullDraws: 200, junctureDraws: 10000, tailDraws: 50, level: 0.05, seed: 0 },
  report: { figures: true },
  backend: 'wasm',
  workers: 0,
  strict: false,
  plugins: [],
};

type Check = (value: unknown) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'must be a non-empty string');
const strOrNull: Check = (v) => (v === null || (typeof v === 'string' && v.length > 0) ? null : 'must be a string or null');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const intMin = (min: number): Check => (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min ? null : `must be an integer >= ${min}`);
const intMinOrNull = (min: number): Check => (v) => (v === null ? null : intMin(min)(v));
const oneOf = (...values: string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? null : `must be one of ${values.join(', ')}`);
const autoOrSteps: Check = (v) => (v === 'auto' || (typeof v === 'number' && Number.isFinite(v) && v >= 0) ? null : 'must be "auto" or a number of steps >= 0');
const unitInterval: Check = (v) => (typeof v === 'number' && v > 0 && v < 1 ? null : 'must be a number between 0 and 1 (exclusive)');
const numOrNull: Check = (v) => (v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0) ? null : 'must be a positive number or null');
const object: Check = (v) => (isObject(v) ? null : 'must be an object');
const strings: Check = (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? null : 'must be a list of strings');
/** `all` or `from:to` (either end may be left out), as lib/ablation/positions.ts reads it. */
const positions: Check = (v) => {
  const problem = 'must be "all" or a half-open range FROM:TO of integers (e.g. 51:101)';
  if (typeof v !== 'string') return problem;
  try {
    parsePositions(v, 'positions');
    return null;
  } catch {
    return problem;
  }
};
const positionsOrNull: Check = (v) => (v === null ? null : positions(v));
const rangeOrNull: Check = (v) =>
  v === null || (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x >= 0) && v[0] < v[1]) ? null : 'must be [from, to] with 0 <= from < to, or null';

/** A section's checks: one per key, or a nested section (phases.bootstrap). */
type SectionChecks<T> = { [S in keyof T]: T[S] extends Record<string, unknown> ? SectionChecks<T[S]> : Check };

const CHECKS: { [K in keyof ExperimentConfig]: ExperimentConfig[K] extends Record<string, unknown> ? (SectionChecks<ExperimentConfig[K]> | Check) : Check } = {
  checkpoints: str,
  steps: str,
  out: str,
  trainDir: str,
  train: object,
  task: { prompts: strOrNull, nPrompts: intMin(1), halfLen: intMinOrNull(1), seed: intMin(0), tokenRange: rangeOrNull },
  influence: { ablation: str, measure: oneOf(...MEASURES), positions, lossPositions: positionsOrNull, seed: intMin(0), bootstrapResamples: intMin(0) },
  graph: { logits: oneOf('keep', 'drop'), normalize: oneOf('none', 'max', 'sum'), distance: oneOf('inverse', 'neglog'), rolesK: intMin(1), louvainSeed: intMin(0) },
  phases: { method: oneOf('pelt', 'binseg'), model: oneOf('linear', 'constant'), warmup: autoOrSteps, axis: oneOf('auto', 'index', 'step', 'logstep'), penalty: numOrNull, minSize: intMin(1), bootstrap: { replicates: intMin(0), seed: intMin(0) } },
  findings: { resamples: intMin(0), nullDraws: intMin(2), junctureDraws: intMin(1), tailDraws: intMin(0), level: unitInterval, seed: intMin(0) },
  report: { figures: bool },
  backend: oneOf('auto', 'wasm', 'node-gpu', 'node', 'cpu'),
  workers: intMin(0),
  strict: bool,
  plugins: strings,
};

/**
 * Merge `overrides` (parsed JSON, possibly partial and nested) onto `base` and validate every
 * key; `source` names the origin in errors (a file name, or `--flags`).
 */
export function resolveExperimentConfig(overrides: unknown, source: string, base: ExperimentConfig = DEFAULT_EXPERIMENT_CONFIG): ExperimentConfig {
  if (!isObject(overrides)) throw new InputError(source, 'the experiment config must be a JSON object');
  const result = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const check = (CHECKS as Record<string, unknown>)[key];
    if (check === undefined) throw new InputError(source, `unknown setting "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    if (typeof check === 'function') {
      const problem = (check as Check)(value);
      if (problem) throw new InputError(source, `"${key}" ${problem}, got ${preview(value)}`);
      result[key] = key === 'train' ? { ...(result.train as object), ...(value as object) } : value;
      continue;
    }
    mergeSection(result[key] as Record<string, unknown>, value, check as Record<string, unknown>, key, source);
  }
  return result as unknown as ExperimentConfig;
}

/** Validate `value` (a section, or a section within one) key by key and merge it into `section`. */
function mergeSection(section: Record<string, unknown>, value: unknown, checks: Record<string, unknown>, name: string, source: string): void {
  if (!isObject(value)) throw new InputError(source, `"${name}" must be an object, got ${preview(value)}`);
  for (const [inner, innerValue] of Object.entries(value)) {
    const innerCheck = checks[inner];
    if (!innerCheck) throw new InputError(source, `unknown setting "${name}.${inner}" (known: ${Object.keys(checks).join(', ')})`);
    if (typeof innerCheck === 'function') {
      const problem = (innerCheck as Check)(innerValue);
      if (problem) throw new InputError(source, `"${name}.${inner}" ${problem}, got ${preview(innerValue)}`);
      section[inner] = innerValue;
    } else {
      mergeSection(section[inner] as Record<string, unknown>, innerValue, innerCheck as Record<string, unknown>, `${name}.${inner}`, source);
    }
  }
}

/**
 * Checks that need several settings at once (run before any work, after every layer of settings
 * is applied, so the order of flags does not matter).
 */
export function checkExperimentConfig(config: ExperimentConfig): void {
  if (config.phases.model === 'linear' && config.phases.minSize < 3) {
    throw new OptionError('phases.minSize', `must be at least 3 with the linear phase model (a line through ${config.phases.minSize} checkpoint(s) leaves no residual to judge it by), got ${config.phases.minSize}; use --phase-model constant for shorter phases`);
  }
}

export function readExperimentConfig(file: string, base: ExperimentConfig = DEFAULT_EXPERIMENT_CONFIG): ExperimentConfig {
  return resolveExperimentConfig(readJsonFile(file), file, base);
}
