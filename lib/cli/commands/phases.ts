/**
 * `cntlens phases`: learning phases of a metric series over checkpoints (change points, their
 * confidence and the phase labels), from a CSV with a `step` column and one column per metric.
 */
import { parseArgs } from 'node:util';
import { OptionError } from '../../util/errors.js';
import { checkOutputFile, writeFileAtomic } from '../../util/files.js';
import { analyzeSeries } from '../../phases/analyze.js';
import { DEFAULT_MIN_SIZE, DEFAULT_MODEL } from '../../phases/changepoints.js';
import { SEGMENT_MODELS, type SegmentModel } from '../../phases/costs.js';
import { readSeriesCsv } from '../../phases/csv.js';
import type { AxisOption, ChangePointMethod, PhasesResult } from '../../phases/types.js';
import type { Command } from '../main.js';

const usage = `Usage: cntlens phases --series FILE.csv --out FILE.json [options]

Finds the learning phases in a series of per-checkpoint metrics: multivariate change points
(PELT on robustly standardised metrics; in a phase every metric follows its own straight line on
the time axis, or its own level with --model constant), a confidence per boundary (penalty sweep)
and a label per phase (exploration / consolidation / refinement) with the statistics behind it;
neighbouring phases with the same label are merged unless their boundary is significant.

FILE.csv: a header line, a "step" column and one numeric column per metric, one row per
checkpoint (any row order: rows are sorted by step; duplicate steps are an error). Quoted fields
are allowed. Columns "gini" / "top10_share", if present, give the concentration statistics.

Options:
  --series FILE.csv     the metric series (required)
  --out FILE.json       where to write the result (required)
  --axis A              time axis for trends: auto (default), index, step, logstep (= ln(step+1));
                        auto uses step for evenly spaced checkpoints, else logstep
  --model M             linear (default: own intercept and slope per metric and phase) or
                        constant (own level per metric and phase)
  --penalty X           penalty per boundary on the standardised cost (default: computed from
                        the number of checkpoints n, of metrics d and the model; in settings)
  --warmup N            learning-rate warm-up: checkpoints before step N are a declared warm-up
                        segment, not searched for phases (default 0)
  --min-size N          minimum checkpoints per phase (default ${DEFAULT_MIN_SIZE}; at least 3 for linear)
  --method M            pelt (default, exact) or binseg (binary segmentation)
  --metrics a,b,...     only these columns enter the detection (default: all but step)

Output JSON: {"boundaries": [step...], "phases": [{"start", "end", "label", "labelReason",
"stats", "means", "merged", ...}], "confidence": [per boundary, 0..1], "changes": [per boundary:
what changed], "settings": {...}, ...}.
`;

function parsePenalty(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new OptionError('--penalty', `must be a number >= 0, got "${raw}"`);
  return value;
}

function parseMinSize(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MIN_SIZE;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(value) || value < 1) throw new OptionError('--min-size', `must be an integer >= 1, got "${raw}"`);
  return value;
}

function parseWarmup(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new OptionError('--warmup', `must be a number of steps >= 0, got "${raw}"`);
  return value;
}

function parseChoice<T extends string>(option: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new OptionError(option, `must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** A few lines for the terminal. */
export function summarize(result: PhasesResult): string {
  const lines = [`${result.phases.length} phase(s) over ${result.settings.checkpoints} checkpoints (axis: ${result.settings.axis.used}, penalty ${result.settings.penalty.toFixed(2)})`];
  if (result.warmup) lines.push(`  steps ${result.warmup.start}..${result.warmup.end} (${result.warmup.checkpoints} checkpoints): warm-up, not searched`);
  result.phases.forEach((p, i) => {
    const boundary = i > 0 ? `  [boundary confidence ${result.confidence[i - 1].toFixed(2)}]` : '';
    lines.push(`  steps ${p.start}..${p.end} (${p.checkpoints} checkpoints): ${p.label}${boundary}`);
    if (i > 0 && result.changes?.[i - 1]) lines.push(`    at step ${p.start}: ${result.changes[i - 1].summary}`);
  });
  return lines.join('\n');
}

export const command: Command = {
  name: 'phases',
  summary: 'learning phases of a metric series: change points, confidence, labels',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        series: { type: 'string' },
        out: { type: 'string' },
        axis: { type: 'string' },
        penalty: { type: 'string' },
        'min-size': { type: 'string' },
        model: { type: 'string' },
        warmup: { type: 'string' },
        method: { type: 'string' },
        metrics: { type: 'string' },
      },
    });
    if (!values.series) throw new OptionError('--series', 'is required (the metric series CSV)');
    if (!values.out) throw new OptionError('--out', 'is required (the JSON file to write)');
    const axis = parseChoice<AxisOption>('--axis', values.axis, ['auto', 'index', 'step', 'logstep'], 'auto');
    const method = parseChoice<ChangePointMethod>('--method', values.method, ['pelt', 'binseg'], 'pelt');
    const model = parseChoice<SegmentModel>('--model', values.model, SEGMENT_MODELS, DEFAULT_MODEL);
    const penalty = parsePenalty(values.penalty);
    const minSize = parseMinSize(values['min-size']);
    const warmup = parseWarmup(values.warmup);
    checkOutputFile(values.out, '--out');
    const csv = readSeriesCsv(values.series);
    let metrics: string[] | undefined;
    if (values.metrics !== undefined) {
      metrics = values.metrics.split(',').map((m) => m.trim()).filter((m) => m !== '');
      if (metrics.length === 0) throw new OptionError('--metrics', 'the list is empty');
      const unknown = metrics.filter((m) => !csv.metrics.includes(m));
      if (unknown.length > 0) throw new OptionError('--metrics', `no such column: ${unknown.join(', ')} (columns: ${csv.metrics.join(', ')})`);
    }
    const result = analyzeSeries(csv.checkpoints, { axis, method, model, warmup, penalty, minSize, metrics, source: values.series });
    if (csv.sorted) result.settings.reorderedInput = true;
    await writeFileAtomic(values.out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(summarize(result) + `\nwrote ${values.out}\n`);
    return 0;
  },
};
