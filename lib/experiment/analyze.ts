/**
 * `cntlens analyze`: the experiment's series stage alone, on a folder of influence files (the
 * files `cntlens influence` writes, or an experiment's own influence/<step>.json), one per
 * checkpoint. No checkpoint is loaded and no sweep is run: a re-analysis with other graph, phase
 * or report settings, or the analysis of a synthetic influence series.
 *
 * Every file is read and checked, and every record, replicate and graph computed, before anything
 * is written: bad input stops with one InputError naming the file, and the results folder is not
 * created. Per file the record is built exactly as the experiment's checkpoint stage builds it
 * (checkpoint-task.ts buildRecord: graph, network metrics, behaviour, delta_loss, head scores)
 * and, when the files hold per-prompt values, its bootstrap replicates as replicates.ts computes
 * them; then the shared series stage (series-stage.ts) writes metrics.csv, nodes.csv,
 * phases.json, report.html (+ figures), graphs/<step>.gexf and manifest.json.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InfluenceResult } from '../ablation/result.js';
import type { BehaviourMetrics } from '../ablation/tasks.js';
import { exportGraph } from '../network/export.js';
import { graphFromInfluence, validateInfluence } from '../network/influence-graph.js';
import { CntlensError, InputError, OptionError, preview } from '../util/errors.js';
import { checkOutputFolder, describeFsError, readTextFile } from '../util/files.js';
import { settingsHash, sha256Hex } from '../util/hash.js';
import { Progress } from '../util/progress.js';
import { checkExperimentConfig, DEFAULT_EXPERIMENT_CONFIG, type ExperimentConfig } from './config.js';
import { graphOptions } from './metrics.js';
import { SERIES_STAGE_FILES, type CheckpointRecord } from './records.js';
import { bootstrapSettings, computeReplicates, perPromptValues } from './replicates.js';
import type { SeriesSettings } from './series-stage.js';

/** The settings analyze uses: the experiment config's graph, phases and report sections. */
export type AnalyzeSettings = Pick<ExperimentConfig, 'graph' | 'phases' | 'report'> & Partial<Pick<ExperimentConfig, 'findings'>>;

export interface AnalyzeInfluenceOptions {
  /** The folder of influence files (*.json, one per checkpoint). */
  influenceDir: string;
  /** The results folder. */
  out: string;
  /** Default: the experiment's defaults. `phases.warmup: auto` is 0 here (no training is known). */
  settings?: AnalyzeSettings;
  quiet?: boolean;
  /** Where progress and the summary go (default stderr). */
  log?: (line: string) => void;
}

/** One influence file of the series, checked. */
export interface InfluenceCheckpoint {
  /** The file (DIR/name). */
  file: string;
  step: number;
  /** `settings.checkpoint` of the file, else `step<N>`. */
  name: string;
  /** sha256 of the file's bytes. */
  hash: string;
  influence: InfluenceFileContents;
}

/**
 * What analyze reads of an influence file. Only `nodes` and `matrix` are required; a file
 * without `behaviour` has no behaviour metrics, one without `delta_loss` no ΔL column, one
 * without `per_prompt` no bootstrap replicates; `clean_loss` is NaN when absent.
 */
export type InfluenceFileContents = Pick<InfluenceResult, 'nodes' | 'matrix' | 'behaviour' | 'delta_loss' | 'clean_loss' | 'per_prompt'> & {
  settings: Record<string, unknown>;
};

export interface AnalyzeResult {
  out: string;
  checkpoints: { name: string; step: number; file: string; hash: string }[];
  summary: string[];
}

/** A `step<N>` file name (step1000.json). */
const STEP_FILE = /^step(\d+)\.json$/;

export async function analyzeInfluence(options: AnalyzeInfluenceOptions): Promise<AnalyzeResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const quiet = options.quiet ?? false;
  const settings: AnalyzeSettings = options.settings ?? { graph: DEFAULT_EXPERIMENT_CONFIG.graph, phases: DEFAULT_EXPERIMENT_CONFIG.phases, findings: DEFAULT_EXPERIMENT_CONFIG.findings, report: DEFAULT_EXPERIMENT_CONFIG.report };
  checkExperimentConfig({ ...DEFAULT_EXPERIMENT_CONFIG, ...settings });
  const dir = path.resolve(options.influenceDir);
  const out = path.resolve(options.out);
  if (out === dir) throw new OptionError('--out', `${options.out} is the influence folder: write the results into another folder`);
  if (existsSync(path.join(out, 'plan.json'))) {
    throw new OptionError('--out', `${options.out} holds an experiment's results (plan.json): analyze into another folder (a rerun of \`cntlens experiment\` there redoes only its series stage)`);
  }
  checkOutputFolder(options.out, '--out', SERIES_STAGE_FILES);

  // 1. Read and check every file.
  const readStart = performance.now();
  const series = readInfluenceSeries(options.influenceDir);
  const readSeconds = (performance.now() - readStart) / 1000;
  if (!quiet) log(`cntlens: ${series.length} influence files in ${options.influenceDir} (step ${series[0].step} to ${series[series.length - 1].step})`);

  // Loaded only now (TF.js, the report's renderer), so that bad input is refused at once.
  const { buildRecord } = await import('./checkpoint-task.js');
  const { runSeriesStage } = await import('./series-stage.js');

  // 2. Per checkpoint, as the checkpoint stage: the record (graph, network metrics, behaviour), the graph's GEXF.
  const recordsStart = performance.now();
  const progress = new Progress({ label: 'metrics', total: series.length, unit: 'ckpt', quiet });
  const records: CheckpointRecord[] = [];
  const gexf: { path: string; data: string }[] = [];
  const graphSettingsKey = settingsHash({ graph: settings.graph });
  for (const c of series) {
    const record = namingFile(c.file, c.name, () => buildRecord({ name: c.name, step: c.step, key: { checkpoint: c.hash, settings: graphSettingsKey } }, c.influence, settings));
    records.push(record);
    // The GEXF names its source relative to the results folder, as the experiment's.
    const graph = graphFromInfluence(c.influence, graphOptions(settings), path.relative(out, c.file));
    gexf.push({ path: path.join('graphs', `${c.step}.gexf`), data: exportGraph(graph, 'gexf') });
    progress.tick(c.name);
  }
  const recordsSeconds = (performance.now() - recordsStart) / 1000;

  // 3. The bootstrap replicates, all or none (as attachReplicates).
  const replicatesStart = performance.now();
  const bootstrap = bootstrapSettings(settings);
  let replicates: { attached: boolean; reason: string | null } = { attached: true, reason: null };
  const without = series.map((c) => ({ c, values: perPromptValues(c.influence) })).find((x) => 'missing' in x.values);
  if (bootstrap.replicates === 0) replicates = { attached: false, reason: 'phases.bootstrap.replicates is 0' };
  else if (without) replicates = { attached: false, reason: `step ${without.c.step}: ${(without.values as { missing: string }).missing}` };
  else {
    const bar = new Progress({ label: 'replicates', total: series.length, unit: 'ckpt', quiet });
    series.forEach((c, i) => {
      // Per-prompt values the replicates cannot use (e.g. negative weights) are the file's fault.
      const values = namingFile(c.file, 'bootstrap replicate', () => computeReplicates(c.influence, { graph: settings.graph, phases: { bootstrap } }), 'a bootstrap replicate of its per-prompt values: ')!;
      records[i].replicates = values;
      bar.tick(c.name);
    });
  }
  const replicatesSeconds = (performance.now() - replicatesStart) / 1000;

  // 4. The series stage.
  const echoed: SeriesSettings & { influenceDir: string; out: string } = {
    influenceDir: dir,
    out,
    influence: { ablation: describe(series, 'ablation'), measure: describe(series, 'measure') },
    graph: settings.graph,
    phases: settings.phases,
    findings: settings.findings ?? DEFAULT_EXPERIMENT_CONFIG.findings,
    report: settings.report,
  };
  const byStep = new Map(series.map((c) => [c.step, c]));
  const checkpoints = series.map((c) => ({ name: c.name, step: c.step, file: path.resolve(c.file), hash: c.hash }));
  const { summary } = await runSeriesStage({
    out,
    settings: echoed,
    records,
    matrices: new Map(series.map((c) => [c.step, { nodes: c.influence.nodes, matrix: c.influence.matrix, ...parallelResidualOf(c.influence) }])),
    perPrompt: (step) => perPromptValues(byStep.get(step)!.influence),
    replicates,
    files: gexf,
    manifest: {
      run: { command: 'analyze' },
      checkpoints,
      files: { graphs: 'graphs/<step>.gexf' },
      timings: (seriesSeconds) => ({ read_s: readSeconds, records_s: recordsSeconds, replicates_s: replicatesSeconds, series_stage_s: seriesSeconds }),
    },
    started: performance.now(),
    quiet,
    log,
    resultsLine: `Results in ${out}: report.html, metrics.csv, nodes.csv, phases.json, graphs/, ${settings.report.figures ? 'figures/, ' : ''}manifest.json`,
  });
  return { out, checkpoints, summary };
}

/**
 * Read and check a folder of influence files (every `*.json` in it, one per checkpoint), sorted by
 * step. Each problem is one InputError naming the file (or the folder): a folder missing or
 * without .json files, a file that is not an influence file, one with another node list than the
 * first file, one without a step, two with the same step, fewer than 3 files.
 */
export function readInfluenceSeries(influenceDir: string): InfluenceCheckpoint[] {
  let names: string[];
  try {
    if (!statSync(influenceDir).isDirectory()) throw new InputError(influenceDir, 'not a folder (expected a folder of influence files, one <name>.json per checkpoint)');
    names = readdirSync(influenceDir).filter((name) => name.endsWith('.json') && isFile(path.join(influenceDir, name))).sort();
  } catch (err) {
    if (err instanceof CntlensError) throw err;
    throw new InputError(influenceDir, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : describeFsError(err));
  }
  if (existsSync(path.join(influenceDir, 'plan.json')) && isDirectory(path.join(influenceDir, 'influence'))) {
    throw new InputError(influenceDir, `an experiment's results folder: its influence files are in ${path.join(influenceDir, 'influence')}`);
  }
  if (names.length === 0) throw new InputError(influenceDir, 'no influence files (*.json) in this folder');
  const series: InfluenceCheckpoint[] = [];
  const bySteps = new Map<number, string>();
  for (const name of names) {
    const file = path.join(influenceDir, name);
    const text = readTextFile(file);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InputError(file, `not valid JSON (${(err as Error).message})`);
    }
    const influence = checkInfluenceFile(json, file);
    const step = stepOf(influence.settings, name, file);
    const other = bySteps.get(step);
    if (other !== undefined) throw new InputError(file, `step ${step} again: ${other} is step ${step} too (one file per checkpoint)`);
    bySteps.set(step, file);
    if (series.length > 0) sameNodes(influence.nodes, series[0], file);
    const checkpoint = typeof influence.settings.checkpoint === 'string' && influence.settings.checkpoint !== '' ? influence.settings.checkpoint : `step${step}`;
    series.push({ file, step, name: checkpoint, hash: sha256Hex(text), influence });
  }
  if (series.length < 3) throw new InputError(influenceDir, `${series.length} influence file(s) (${names.join(', ')}): the series stage needs at least 3 checkpoints`);
  return series.sort((a, b) => a.step - b.step);
}

/** The checkpoint's step: `settings.step`, else the N of a `step<N>.json` name. */
function stepOf(settings: Record<string, unknown>, name: string, file: string): number {
  if (settings.step !== undefined) {
    const step = settings.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new InputError(file, `"settings.step" is ${preview(step)}, expected a training step (an integer >= 0)`);
    return step;
  }
  const match = STEP_FILE.exec(name);
  if (!match) throw new InputError(file, 'no step: the file has no "settings.step" and its name is not step<N>.json (e.g. step1000.json)');
  return Number(match[1]);
}

/** The node list must be the first file's, in the same order (the same components, the same matrix layout). */
function sameNodes(nodes: readonly string[], first: InfluenceCheckpoint, file: string): void {
  const reference = first.influence.nodes;
  const firstName = path.basename(first.file);
  for (let i = 0; i < Math.max(nodes.length, reference.length); i++) {
    if (nodes[i] === reference[i]) continue;
    if (i >= nodes.length) throw new InputError(file, `other nodes than ${firstName}: node ${reference[i]} (#${i}) is missing (${nodes.length} nodes, ${firstName} has ${reference.length})`);
    if (i >= reference.length) throw new InputError(file, `other nodes than ${firstName}: node ${nodes[i]} (#${i}) is extra (${nodes.length} nodes, ${firstName} has ${reference.length})`);
    throw new InputError(file, `other nodes than ${firstName}: node #${i} is ${nodes[i]} where ${firstName} has ${reference[i]}`);
  }
}

/**
 * Check an influence file as analyze reads it: validateInfluence (nodes, a square matrix with a
 * zero diagonal), then the optional parts the records and replicates use.
 */
export function checkInfluenceFile(json: unknown, file: string): InfluenceFileContents {
  const { nodes, matrix } = validateInfluence(json, file);
  const raw = json as Record<string, unknown>;
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };
  const settings = raw.settings === undefined ? {} : isObject(raw.settings) ? raw.settings : fail(`"settings" must be an object, got ${brief(raw.settings)}`);
  // Influence is >= 0 under every measure; the experiment's graphs refuse negative weights.
  matrix.forEach((row, i) => row.forEach((w, j) => {
    if (w < 0) fail(`matrix[${i}][${j}] (${nodes[i]} on ${nodes[j]}) is ${w}, expected an influence >= 0`);
  }));

  const deltaLoss: Record<string, number> = {};
  if (raw.delta_loss !== undefined) {
    if (!isObject(raw.delta_loss)) fail(`"delta_loss" must be an object {node: number}, got ${brief(raw.delta_loss)}`);
    for (const [node, value] of Object.entries(raw.delta_loss as Record<string, unknown>)) {
      if (!isFiniteNumber(value)) fail(`"delta_loss.${node}" is ${brief(value)}, expected a finite number`);
      deltaLoss[node] = value as number;
    }
  }
  if (raw.clean_loss !== undefined && !isFiniteNumber(raw.clean_loss)) fail(`"clean_loss" is ${brief(raw.clean_loss)}, expected a finite number`);

  let behaviour: BehaviourMetrics | null = null;
  if (raw.behaviour !== undefined && raw.behaviour !== null) {
    const b = isObject(raw.behaviour) ? raw.behaviour : fail(`"behaviour" must be an object or null, got ${brief(raw.behaviour)}`);
    for (const key of ['repeat_loss', 'icl_score'] as const) if (!isFiniteNumber(b[key])) fail(`"behaviour.${key}" is ${brief(b[key])}, expected a finite number`);
    const shape = grid(b.induction_scores, 2) ?? fail('"behaviour.induction_scores" must be a [layer][head] array of finite numbers');
    if (grid(b.prev_token_scores, 2)?.join() !== shape.join()) fail(`"behaviour.prev_token_scores" must be a [layer][head] array of finite numbers shaped like "behaviour.induction_scores" (${shape.join('×')})`);
    behaviour = b as unknown as BehaviourMetrics;
  }

  let perPrompt: InfluenceResult['per_prompt'];
  if (raw.per_prompt !== undefined) {
    const p = isObject(raw.per_prompt) ? raw.per_prompt : fail(`"per_prompt" must be an object, got ${brief(raw.per_prompt)}`);
    const prompts = grid(p.clean_loss, 1)?.[0] ?? fail('"per_prompt.clean_loss" must be an array of finite numbers, one per prompt');
    if (prompts < 1) fail('"per_prompt.clean_loss" is empty: per-prompt values for no prompt');
    const n = nodes.length;
    const edges = Array.isArray(p.edges) && p.edges.length === n ? p.edges : fail(`"per_prompt.edges" must be an ${n}×${n} array (null, or ${prompts} numbers per edge)`);
    edges.forEach((row: unknown, i: number) => {
      if (!Array.isArray(row) || row.length !== n) fail(`"per_prompt.edges" row ${i} must have ${n} entries`);
      (row as unknown[]).forEach((values, j) => {
        if (values !== null && grid(values, 1)?.[0] !== prompts) fail(`"per_prompt.edges[${i}][${j}]" must be null or ${prompts} finite numbers (one per prompt)`);
        if (values !== null && (values as number[]).some((w) => w < 0)) fail(`"per_prompt.edges[${i}][${j}]" (${nodes[i]} on ${nodes[j]}) has a negative value, expected influences >= 0`);
      });
    });
    if (p.behaviour !== undefined) {
      const pb = isObject(p.behaviour) ? p.behaviour : fail(`"per_prompt.behaviour" must be an object, got ${brief(p.behaviour)}`);
      for (const key of ['repeat_loss', 'icl_score'] as const) {
        if (grid(pb[key], 1)?.[0] !== prompts) fail(`"per_prompt.behaviour.${key}" must be ${prompts} finite numbers (one per prompt)`);
      }
      const shape = grid(pb.induction_scores, 3);
      if (!shape || shape[2] !== prompts) fail(`"per_prompt.behaviour.induction_scores" must be a [layer][head][prompt] array of finite numbers (${prompts} prompts)`);
    }
    perPrompt = p as unknown as InfluenceResult['per_prompt'];
  }

  return {
    nodes,
    matrix,
    behaviour,
    delta_loss: deltaLoss,
    clean_loss: (raw.clean_loss as number | undefined) ?? NaN,
    ...(perPrompt ? { per_prompt: perPrompt } : {}),
    settings,
  };
}

/**
 * Run `compute`; an InputError it raises about `name` (the source a graph was built under) is
 * rethrown naming `file` instead, its problem prefixed with `context`.
 */
function namingFile<T>(file: string, name: string, compute: () => T, context = ''): T {
  try {
    return compute();
  } catch (err) {
    if (err instanceof InputError && err.file === name) throw new InputError(file, context + err.message.slice(name.length + 2));
    throw err;
  }
}

/** What the files say about how they were computed (`settings.ablation` / `settings.measure`). */
function describe(series: readonly InfluenceCheckpoint[], key: 'ablation' | 'measure'): string {
  const values = [...new Set(series.map((c) => (typeof c.influence.settings[key] === 'string' ? (c.influence.settings[key] as string) : 'unknown')))];
  return values.join(' / ');
}

/**
 * The shape of a regular nested array of finite numbers `depth` deep (e.g. [layers, heads]), or
 * null if `value` is not one. Inner arrays may be empty only at the last level.
 */
function grid(value: unknown, depth: number): number[] | null {
  if (!Array.isArray(value)) return null;
  if (depth === 1) return value.every(isFiniteNumber) ? [value.length] : null;
  let inner: number[] | null = null;
  for (const item of value) {
    const shape = grid(item, depth - 1);
    if (!shape || (inner && shape.join() !== inner.join())) return null;
    inner = shape;
  }
  return inner ? [value.length, ...inner] : null;
}

const isFile = (file: string): boolean => {
  try {
    return statSync(file).isFile();
  } catch {
    return false; // e.g. a dangling link
  }
};
const isDirectory = (dir: string): boolean => {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const brief = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** The file's `settings.parallel_residual`, when it says. */
function parallelResidualOf(influence: { settings?: unknown }): { parallelResidual?: boolean } {
  const value = (influence.settings as { parallel_residual?: unknown } | undefined)?.parallel_residual;
  return typeof value === 'boolean' ? { parallelResidual: value } : {};
}
