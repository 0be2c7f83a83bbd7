/**
 * Shared helpers for the experiment tests (scale.test.ts, slurm.test.ts, resume.test.ts): a small,
 * deterministic checkpoint series derived from the neox-tiny fixture, settings that keep a run
 * quick, and an exact, file-by-file comparison of two results folders.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, serializeSafetensors } from '../../lib/model/safetensors.js';
import type { StateDict } from '../../lib/model/types.js';
import { Rng } from '../../lib/util/rng.js';
import { CLI_ARGS } from '../cli/bin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export { CLI_ARGS } from '../cli/bin.js';
export const FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'neox-tiny');

/** A fresh temporary folder and a function that removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cntlens-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run `cntlens ARGS` (synchronously, from the sources: see test/cli/bin.ts) and return its exit status and output. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd: options.cwd ?? REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...options.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface SeriesOptions {
  /** Training steps of the checkpoints; default 0, 1000, 2000, … (n of them). */
  steps?: number[];
  /** Seed of the perturbations (default 7). */
  seed?: number;
  /** Size of the perturbation at the last checkpoint, relative to each tensor's RMS (default 0.3). */
  scale?: number;
}

/**
 * Write `n` checkpoint folders `dir/step<S>/` (config.json + model.safetensors, F32) derived from
 * the neox-tiny fixture: checkpoint i gets the fixture's weights plus `scale · (i / (n-1)) · rms ·
 * z`, with z standard normal from a seeded generator that is fixed per tensor (a drift, like
 * training), plus a smaller fresh draw per checkpoint, so every checkpoint differs from every
 * other and the series changes gradually. Same arguments, same bytes. Returns the folders in
 * step order.
 */
export function makeCheckpointSeries(dir: string, n: number, options: SeriesOptions = {}): string[] {
  const steps = options.steps ?? Array.from({ length: n }, (_, i) => i * 1000);
  if (steps.length !== n) throw new Error(`makeCheckpointSeries: ${n} checkpoints but ${steps.length} steps`);
  const seed = options.seed ?? 7;
  const scale = options.scale ?? 0.3;
  const base = readSafetensors(path.join(FIXTURE_DIR, 'model.safetensors')).tensors;
  const drift = new Map<string, Float32Array>();
  const driftRng = new Rng(seed);
  for (const [name, t] of base) drift.set(name, Float32Array.from(t.data, () => driftRng.normal()));

  const folders: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    const noiseRng = new Rng(seed * 1_000_003 + i + 1);
    const tensors: StateDict = new Map();
    for (const [name, tensor] of base) {
      const rms = Math.sqrt(tensor.data.reduce((s, x) => s + x * x, 0) / tensor.data.length) || 1;
      const d = drift.get(name)!;
      const data = Float32Array.from(tensor.data, (x, j) => x + rms * (scale * t * d[j] + 0.02 * scale * noiseRng.normal()));
      tensors.set(name, { shape: [...tensor.shape], data });
    }
    const folder = path.join(dir, `step${steps[i]}`);
    mkdirSync(folder, { recursive: true });
    copyFileSync(path.join(FIXTURE_DIR, 'config.json'), path.join(folder, 'config.json'));
    writeFileSync(path.join(folder, 'model.safetensors'), serializeSafetensors(tensors));
    folders.push(folder);
  }
  return folders;
}

/**
 * Experiment settings that keep a run on the fixture series quick (a few seconds per checkpoint
 * on one core): 2 prompts of half-length 8, 100 bootstrap resamples, no static figures, wasm;
 * phases of the piecewise-constant model with 2 checkpoints at least, so that the few fixture
 * checkpoints still hold phases (the linear model needs 3 a phase). `overrides` are merged one
 * level deep.
 */
export function fastExperimentSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    task: { nPrompts: 2, halfLen: 8, seed: 0 },
    influence: { bootstrapResamples: 100 },
    phases: { minSize: 2, model: 'constant' },
    report: { figures: false },
    backend: 'wasm',
  };
  for (const [key, value] of Object.entries(overrides)) {
    const current = settings[key];
    settings[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return settings;
}

/** Write `settings` as a JSON config file for `cntlens experiment --config`. */
export function writeConfigFile(file: string, settings: Record<string, unknown>): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(settings, null, 1) + '\n');
  return file;
}

export interface CompareOptions {
  /** Relative paths (files, or folders ending in `/`) present in either folder and not compared. */
  ignore?: string[];
}

/**
 * Compare two results folders file by file, byte for byte, and list every difference (empty = the
 * same). The one exception is manifest.json, which records how the run went as well as what it
 * found: its `timings`, each checkpoint's `seconds`, and whether a checkpoint was `computed` or
 * `reused` are left out; everything else in it must be equal too.
 */
export function compareResultDirs(a: string, b: string, options: CompareOptions = {}): string[] {
  const ignore = options.ignore ?? [];
  const skipped = (rel: string): boolean => ignore.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p));
  const filesA = listFiles(a).filter((f) => !skipped(f));
  const filesB = listFiles(b).filter((f) => !skipped(f));
  const setB = new Set(filesB);
  const differences: string[] = [];
  for (const f of filesA) if (!setB.has(f)) differences.push(`${f}: only in ${a}`);
  for (const f of filesB) if (!filesA.includes(f)) differences.push(`${f}: only in ${b}`);
  for (const f of filesA) {
    if (!setB.has(f)) continue;
    const bytesA = readFileSync(path.join(a, f));
    const bytesB = readFileSync(path.join(b, f));
    if (f === 'manifest.json') {
      const ma = JSON.stringify(stableManifest(JSON.parse(bytesA.toString('utf8'))), null, 1);
      const mb = JSON.stringify(stableManifest(JSON.parse(bytesB.toString('utf8'))), null, 1);
      if (ma !== mb) differences.push(`manifest.json: differs (${firstDifference(ma, mb)})`);
    } else if (!bytesA.equals(bytesB)) {
      differences.push(`${f}: differs (${firstDifference(bytesA.toString('latin1'), bytesB.toString('latin1'))})`);
    }
  }
  return differences;
}

/** manifest.json without what depends on the run rather than the results (see compareResultDirs). */
export function stableManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...manifest };
  delete rest.timings;
  const checkpoints = (rest.checkpoints as Record<string, unknown>[] | undefined)?.map((c) => {
    const kept = { ...c };
    delete kept.seconds;
    return kept.status === 'computed' || kept.status === 'reused' ? { ...kept, status: 'done' } : kept;
  });
  return { ...rest, checkpoints };
}

/** Every file under `dir`, as sorted paths relative to it with `/` separators. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else out.push(child);
    }
  };
  if (existsSync(dir)) walk('');
  return out.sort();
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (s: string): string => JSON.stringify(s.slice(Math.max(0, i - 40), i + 40));
  return `at character ${i}: ${around(a)} vs ${around(b)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
