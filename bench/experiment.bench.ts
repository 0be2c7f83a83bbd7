/**
 * `cntlens experiment` on one machine: the per-checkpoint stage (load → influence sweep → network
 * metrics) with 1 worker and with 2 worker threads on the same checkpoint series (fixture-sized
 * models derived from test/fixtures/neox-tiny), and the speed-up. Each setting runs ROUNDS times,
 * alternating, into a fresh folder; the table shows the best and the median, since other load on
 * the machine only ever adds time. Figures are off: the series stage is the same either way.
 *
 * Environment: BENCH_CHECKPOINTS (default 8), BENCH_ROUNDS (default 3), BENCH_WORKERS (default "1,2").
 */
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolveExperimentConfig } from '../lib/experiment/config.js';
import { runExperiment } from '../lib/experiment/pipeline.js';
import { fastExperimentSettings, makeCheckpointSeries, tempDir } from '../test/experiment/helpers.js';

export async function run(): Promise<void> {
  const nCheckpoints = Number(process.env.BENCH_CHECKPOINTS ?? 8);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const workerCounts = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
  const tmp = tempDir('bench-experiment');
  try {
    const checkpoints = path.join(tmp.dir, 'checkpoints');
    makeCheckpointSeries(checkpoints, nCheckpoints);
    // Closer to a real run than the tests' settings: 8 prompts of half-length 32, 1000 resamples.
    const settings = fastExperimentSettings({
      checkpoints,
      task: { nPrompts: 8, halfLen: 32 },
      influence: { bootstrapResamples: 1000 },
    });
    const stage = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
    const total = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
    for (let round = 0; round < rounds; round++) {
      for (const workers of workerCounts) {
        const out = path.join(tmp.dir, `results-${workers}`);
        rmSync(out, { recursive: true, force: true });
        const start = performance.now();
        await runExperiment(resolveExperimentConfig({ ...settings, out, workers }, 'bench'), { quiet: true });
        total.get(workers)!.push((performance.now() - start) / 1000);
        const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { timings: { per_checkpoint_stage_s: number } };
        stage.get(workers)!.push(manifest.timings.per_checkpoint_stage_s);
      }
    }
    const base = Math.min(...stage.get(workerCounts[0])!);
    const baseMedian = median(stage.get(workerCounts[0])!);
    process.stdout.write(`${nCheckpoints} checkpoints (neox-tiny size, 8 prompts × 65 tokens, 1000 bootstrap resamples), ${rounds} rounds; ` +
      `${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end\n\n`);
    process.stdout.write('| workers | per-checkpoint stage best (s) | median (s) | whole run best (s) | speed-up (best) | speed-up (median) |\n|---|---|---|---|---|---|\n');
    for (const workers of workerCounts) {
      const s = stage.get(workers)!;
      process.stdout.write(`| ${workers} | ${Math.min(...s).toFixed(2)} | ${median(s).toFixed(2)} | ${Math.min(...total.get(workers)!).toFixed(2)} | ` +
        `${(base / Math.min(...s)).toFixed(2)}× | ${(baseMedian / median(s)).toFixed(2)}× |\n`);
    }
  } finally {
    tmp.cleanup();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
