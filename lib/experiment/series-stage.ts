/**
 * The series stage, one function shared by `cntlens experiment` / `cntlens merge` (pipeline.ts,
 * over the records of a results folder) and `cntlens analyze` (analyze.ts, over records built from
 * a folder of influence files): from the per-checkpoint records to metrics.csv, nodes.csv,
 * phases.json, report.html (+ figures) and manifest.json, and the closing summary.
 *
 * Everything is computed before anything is written (the phases, the summary, the report's data),
 * and manifest.json is written last. What differs between the callers — how the records were
 * obtained, their own files, what the manifest says about the run — comes in the input.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeReport } from '../report/write.js';
import { writeFileAtomic } from '../util/files.js';
import { packageVersion } from '../util/package.js';
import { Progress } from '../util/progress.js';
import type { ExperimentConfig } from './config.js';
import type { CheckpointRecord } from './records.js';
import { bootstrapSettings, type AttachedReplicates, type PerPromptValues } from './replicates.js';
import { analyzePhases, findingsLines, metricsCsv, nodesCsv, reportData, seriesFindings, seriesNullStatistics, summaryLines, type PhaseAnalysis } from './series.js';

const require = createRequire(import.meta.url);

/**
 * What the series stage computes with: the `graph`, `phases` and `report` settings, and (for the
 * report's subtitle) the ablation and measure of the influence files. `checkpoints` and `train`
 * resolve `phases.warmup: auto` (series.ts resolveWarmup; without them it is 0). The object is
 * echoed whole into manifest.json (`settings`) and the report.
 */
export type SeriesSettings = Pick<ExperimentConfig, 'graph' | 'phases' | 'report'>
  & Partial<Pick<ExperimentConfig, 'checkpoints' | 'train' | 'findings'>>
  & { influence: Pick<ExperimentConfig['influence'], 'ablation' | 'measure'> };

/** A checkpoint's influence matrix (influence/<step>.json's `nodes` and `matrix`, and its residual kind when the file says). */
export interface InfluenceMatrix {
  nodes: string[];
  matrix: number[][];
  /** `settings.parallel_residual` of the influence file, when present. */
  parallelResidual?: boolean;
}

export interface SeriesStageInput {
  /** Absolute results folder. */
  out: string;
  settings: SeriesSettings;
  /**
   * One per checkpoint, in step order; `replicates` attached to every record or to none
   * (replicates.ts), as `replicates` says.
   */
  records: CheckpointRecord[];
  /** step → the checkpoint's influence matrix. */
  matrices: Map<number, InfluenceMatrix>;
  /**
   * step → the checkpoint's per-prompt values (per-prompt edge weights and behaviour), read on
   * demand (the experiment reads influence/<step>.json; analyze has them in memory), or why
   * there are none: the findings' intervals resample them.
   */
  perPrompt: (step: number) => PerPromptValues | { missing: string };
  /** Whether the records carry their bootstrap replicates, and why not. */
  replicates: Pick<AttachedReplicates, 'attached' | 'reason'>;
  /** Further files of the caller, written with the stage's own, before manifest.json (paths relative to `out`). */
  files?: { path: string; data: string | Uint8Array }[];
  manifest: {
    /** Entries after `versions` (the experiment: `backend`). */
    run: Record<string, unknown>;
    /** manifest.json `checkpoints`. */
    checkpoints: unknown[];
    /** manifest.json `files` besides metrics, nodes, phases, report (first) and figures (last). */
    files: Record<string, unknown>;
    /** manifest.json `timings`, given the seconds the series stage took. */
    timings: (seriesStageSeconds: number) => Record<string, unknown>;
  };
  /** performance.now() when the series stage began (manifest `timings.series_stage_s`). */
  started: number;
  quiet: boolean;
  log: (line: string) => void;
  /** Closing lines after the summary (e.g. skipped checkpoints). */
  notes?: string[];
  /** The last closing line: where the results are. */
  resultsLine: string;
}

export interface SeriesStageResult {
  /** The closing summary (phases, roles, induction alignment). */
  summary: string[];
  analysis: PhaseAnalysis;
  /** The report's warnings (also in manifest.json). */
  warnings: string[];
}

/** The series stage: phases, roles, communities and report over the records; see the file comment. */
export async function runSeriesStage(input: SeriesStageInput): Promise<SeriesStageResult> {
  const { out, settings, records, matrices, quiet, log } = input;
  const analysis = analyzePhases(records, matrices, settings);
  const findingsProgress = new Progress({ label: 'findings', total: 1, unit: 'step', quiet });
  const findings = seriesFindings(records, matrices, input.perPrompt, analysis.phases, settings);
  findingsProgress.tick('findings');
  const nullStatistics = seriesNullStatistics(records, matrices, settings);
  const phasesJson = { ...analysis.phases, graph_only: { boundaries: analysis.graphOnly.boundaries, confidence: analysis.graphOnly.confidence, phases: analysis.graphOnly.phases.map((p) => ({ start: p.start, end: p.end, label: p.label })) }, induction_alignment: analysis.inductionAlignment, findings };
  const summary = [...summaryLines(records, analysis), ...findingsLines(findings)];
  const data = { ...reportData(records, matrices, analysis, settings, summary), findings };

  // writeReport checks its data and renders every figure before it writes anything.
  const progress = new Progress({ label: 'report', total: 1, unit: 'report', quiet });
  const report = await writeReport(data, out, { figures: settings.report.figures, source: out });
  progress.tick('report.html');
  await writeFileAtomic(path.join(out, 'metrics.csv'), metricsCsv(records));
  await writeFileAtomic(path.join(out, 'nodes.csv'), nodesCsv(records, nullStatistics));
  await writeFileAtomic(path.join(out, 'phases.json'), JSON.stringify(phasesJson, null, 1) + '\n');
  for (const file of input.files ?? []) await writeFileAtomic(path.join(out, file.path), file.data);

  const manifest = {
    format: 'cntlens-results',
    version: 1,
    settings,
    versions: { cntlens: packageVersion(), tfjs: require('@tensorflow/tfjs/package.json').version as string, node: process.version },
    ...input.manifest.run,
    checkpoints: input.manifest.checkpoints,
    files: {
      metrics: 'metrics.csv', nodes: 'nodes.csv', phases: 'phases.json', report: 'report.html',
      ...input.manifest.files,
      figures: report.figures.map((f) => ({ name: f.name, svg: path.relative(out, f.svg), png: path.relative(out, f.png) })),
    },
    warnings: report.warnings,
    timings: input.manifest.timings((performance.now() - input.started) / 1000),
  };
  await writeFileAtomic(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');

  if (!quiet) {
    log('');
    for (const line of summary) log(line);
    if (!input.replicates.attached && bootstrapSettings(settings).replicates > 0) log(`No bootstrap replicates (${input.replicates.reason}): boundary confidence from a penalty sweep.`);
    for (const line of input.notes ?? []) log(line);
    log(input.resultsLine);
  }
  return { summary, analysis, warnings: report.warnings };
}

