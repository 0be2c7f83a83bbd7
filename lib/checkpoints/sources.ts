/**
 * Where the checkpoints of an experiment come from. `resolveCheckpoints(source)` turns one of
 *   - a folder of checkpoint folders named with a step (`step1000/`, `checkpoint-500/`, `global_step200/`),
 *   - `hf:org/name`: the Hugging Face hub cache, one checkpoint per cached step revision (refs/step1000 →
 *     snapshots/<commit>/), so models downloaded with the Python tools or `cntlens fetch` are read in place,
 *   - an explicit list: comma-separated folders, or a text (one folder a line) or JSON file listing them,
 * into checkpoint folders sorted by step, optionally narrowed by a step selection.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, OptionError } from '../util/errors.js';
import { describeFsError, readJsonFile, readTextFile } from '../util/files.js';
import { COMMIT_HASH, checkRepoId, defaultHubCacheDir, refPath, repoCacheDir, snapshotDir } from '../hub/cache.js';
import { enumerateSteps, parseStepSelection, selectsStep, stepFromName, type StepSelection } from './steps.js';

export interface CheckpointRef {
  /** Folder or revision name, e.g. `step1000`. */
  name: string;
  step: number;
  /** The checkpoint folder (config.json + weights), for loadCheckpoint. */
  dir: string;
  /** Hub cache only: the revision (ref) and the commit it points to. */
  revision?: string;
  commit?: string;
}

export interface ResolveOptions {
  /** Step selection: `0,1000,2000`, `1000..143000:1000`, `all` (default), or a parsed selection. */
  steps?: string | StepSelection;
  /** Hub cache folder for `hf:` sources; default from HF_HUB_CACHE / HF_HOME (see lib/hub/cache.ts). */
  cacheDir?: string;
  /** Option name used in messages about the steps, default `--steps`. */
  stepsOption?: string;
}

/** A list entry in a JSON list file: a folder, or a folder with its step and name. */
interface ListEntry {
  dir: string;
  step?: number;
  name?: string;
}

/** Resolve a checkpoint source to checkpoint folders sorted by step (see the module comment). */
export function resolveCheckpoints(source: string, options: ResolveOptions = {}): CheckpointRef[] {
  const stepsOption = options.stepsOption ?? '--steps';
  const selection = typeof options.steps === 'string' ? parseStepSelection(options.steps, { option: stepsOption }) : options.steps;
  const found = findCheckpoints(source, options);
  return selectSteps(source, found, selection, stepsOption);
}

function findCheckpoints(source: string, options: ResolveOptions): CheckpointRef[] {
  if (source.trim() === '') throw new OptionError('--checkpoints', 'empty checkpoint source');
  if (source.startsWith('hf:')) return fromHubCache(source, options.cacheDir ?? defaultHubCacheDir());
  if (!existsSync(source) && source.includes(',')) {
    const dirs = source.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return fromList(source, dirs.map((dir) => ({ dir: path.resolve(dir) })));
  }
  if (!existsSync(source)) {
    throw new InputError(source, 'no such folder or file (expected a folder of checkpoint folders, hf:org/name, a comma-separated list of folders, or a file listing them)');
  }
  if (statSync(source).isFile()) return fromList(source, readListFile(source));
  if (existsSync(path.join(source, 'config.json'))) return fromList(source, [{ dir: path.resolve(source) }]);
  return fromFolder(source);
}

/** Each sub-folder whose name carries a step number is a checkpoint. */
function fromFolder(folder: string): CheckpointRef[] {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch (err) {
    throw new InputError(folder, describeFsError(err));
  }
  const refs: CheckpointRef[] = [];
  for (const name of entries) {
    const step = stepFromName(name);
    const dir = path.resolve(folder, name);
    if (step === undefined || !isFolder(dir)) continue;
    refs.push({ name, step, dir });
  }
  if (refs.length === 0) {
    const shown = entries.slice(0, 8).join(', ') + (entries.length > 8 ? ', …' : '');
    throw new InputError(folder, `no checkpoint folders in it (expected sub-folders named with a step, like step1000/, checkpoint-500/ or global_step200/; found ${shown || 'nothing'})`);
  }
  return checkUniqueSteps(folder, refs);
}

/** `hf:org/name` → every cached ref named with a step → its snapshot folder. */
function fromHubCache(source: string, cacheDir: string): CheckpointRef[] {
  const repo = checkRepoId(source.slice(3), '--checkpoints');
  const repoDir = repoCacheDir(cacheDir, repo);
  const fetchHint = `fetch it with: cntlens fetch --model ${repo} --revisions step0,step1000,… (cache ${cacheDir}, from HF_HUB_CACHE / HF_HOME)`;
  if (!existsSync(repoDir)) throw new InputError(repoDir, `${repo} is not in the Hugging Face cache; ${fetchHint}`);
  const refsDir = path.join(repoDir, 'refs');
  // Only top-level refs: nested ones (refs/pr/1) are pull requests, not training steps.
  const refNames = existsSync(refsDir) ? readdirSync(refsDir).filter((n) => isFile(path.join(refsDir, n))).sort() : [];
  const refs: CheckpointRef[] = [];
  for (const revision of refNames) {
    const step = stepFromName(revision);
    if (step === undefined) continue;
    const file = refPath(repoDir, revision);
    const commit = readFileSync(file, 'utf8').trim();
    if (!COMMIT_HASH.test(commit)) throw new InputError(file, `does not hold a commit hash (found ${JSON.stringify(commit.slice(0, 60))})`);
    const dir = snapshotDir(repoDir, commit);
    if (!existsSync(dir)) throw new InputError(file, `points to commit ${commit}, but snapshots/${commit}/ is missing; fetch ${revision} again`);
    refs.push({ name: revision, step, dir, revision, commit });
  }
  if (refs.length === 0) {
    const have = refNames.length > 0 ? `refs found: ${refNames.join(', ')}` : 'no refs';
    throw new InputError(repoDir, `no step revisions cached (${have}); ${fetchHint}`);
  }
  return checkUniqueSteps(source, refs);
}

/** Text file: one folder a line (`#` comments); JSON: an array of folders or {dir, step?, name?}. */
function readListFile(file: string): ListEntry[] {
  const base = path.dirname(path.resolve(file));
  const resolve = (dir: string): string => path.resolve(base, dir);
  if (file.toLowerCase().endsWith('.json')) {
    const data = readJsonFile(file);
    const list = Array.isArray(data) ? data : (data as { checkpoints?: unknown })?.checkpoints;
    if (!Array.isArray(list)) throw new InputError(file, 'expected a JSON array of checkpoint folders (or {"checkpoints": [...]})');
    return list.map((item, i) => {
      if (typeof item === 'string') return { dir: resolve(item) };
      const entry = item as Partial<ListEntry> | null;
      if (!entry || typeof entry.dir !== 'string') throw new InputError(file, `entry ${i}: expected a folder name or {"dir": ..., "step": ...}`);
      if (entry.step !== undefined && !(Number.isSafeInteger(entry.step) && entry.step >= 0)) {
        throw new InputError(file, `entry ${i}: "step" must be a whole number ≥ 0`);
      }
      return { dir: resolve(entry.dir), step: entry.step, name: typeof entry.name === 'string' ? entry.name : undefined };
    });
  }
  const text = readTextFile(file);
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new InputError(file, 'lists no checkpoint folders (one folder a line expected)');
  return lines.map((l) => ({ dir: resolve(l) }));
}

function fromList(source: string, entries: ListEntry[]): CheckpointRef[] {
  const refs = entries.map((entry) => {
    if (!existsSync(entry.dir)) throw new InputError(entry.dir, 'no such checkpoint folder');
    if (!statSync(entry.dir).isDirectory()) throw new InputError(entry.dir, 'not a folder (a checkpoint is a folder with config.json and weights)');
    const name = entry.name ?? path.basename(entry.dir);
    const step = entry.step ?? stepFromName(path.basename(entry.dir));
    if (step === undefined) {
      throw new InputError(entry.dir, 'no step number in the folder name (name it like step1000/ or checkpoint-1000/, or list it in a JSON file as {"dir": ..., "step": 1000})');
    }
    return { name, step, dir: entry.dir };
  });
  return checkUniqueSteps(source, refs);
}

function checkUniqueSteps(source: string, refs: CheckpointRef[]): CheckpointRef[] {
  const byStep = new Map<number, CheckpointRef>();
  for (const ref of refs) {
    const other = byStep.get(ref.step);
    if (other) throw new InputError(source, `step ${ref.step} appears twice (${other.name} and ${ref.name}); keep one, or choose steps with --steps`);
    byStep.set(ref.step, ref);
  }
  return [...refs].sort((a, b) => a.step - b.step);
}

/** Keep the selected steps; steps named one by one must all exist. */
function selectSteps(source: string, refs: CheckpointRef[], selection: StepSelection | undefined, option: string): CheckpointRef[] {
  if (!selection) return refs;
  const nameItems = selection.items.filter((i) => i.kind === 'name');
  if (nameItems.length > 0) throw new OptionError(option, `"${selection.text}" is not a step selection`);
  const present = new Set(refs.map((r) => r.step));
  const missing = enumerateSteps(selection, option).filter((s) => !present.has(s));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? `, … (${missing.length} in all)` : '');
    throw new OptionError(option, `step(s) ${shown} not found in ${source} (available: ${describeSteps(refs.map((r) => r.step))})`);
  }
  const chosen = refs.filter((r) => selectsStep(selection, r.step));
  if (chosen.length === 0) throw new OptionError(option, `"${selection.text}" selects none of the steps in ${source} (available: ${describeSteps(refs.map((r) => r.step))})`);
  return chosen;
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function describeSteps(steps: number[]): string {
  return steps.length <= 12 ? steps.join(', ') : `${steps.slice(0, 6).join(', ')}, …, ${steps.slice(-3).join(', ')} (${steps.length} steps)`;
}
