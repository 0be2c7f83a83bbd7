/**
 * `cntlens experiment` on one machine: the per-checkpoint stage (load → influence sweep → network
 * metrics) with 1 worker and with 2 worker threads on the same checkpoint series (fixture-sized
 * models derived from test/fixtures/neox-tiny), and the speed-up, for two amounts of work per
 * checkpoint (starting a worker thread costs a second or two, which light checkpoints do not repay). Each setting runs ROUNDS times,
 * alternating, into a fresh folder; the table shows the best and the median, since other load on
 * the machine only ever adds time. Figures are off: the series stage is the same either way.
 *
 * Environment: BENCH_CHECKPOINTS (default 8), BENCH_ROUNDS (default 3), BENCH_WORKERS (default "1,2").
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolveExperimentConfig } from '../lib/experiment/config.js';
import { runExperiment } from '../lib/experiment/pipeline.js';
import { fastExperimentSettings, makeCheckpointSeries, tempDir } from '../test/experiment/helpers.js';

/** Work per checkpoint: `light` is the tests' fixture size, `heavy` ~8x more tokens per sweep. */
const SCENARIOS = [
  { name: 'light', nPrompts: 8, halfLen: 32 },
  { name: 'heavy', nPrompts: 32, halfLen: 63 },
];

export async function run(): Promise<void> {
  const nCheckpoints = Number(process.env.BENCH_CHECKPOINTS ?? 8);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const workerCounts = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
  const tmp = tempDir('bench-experiment');
  try {
    const checkpoints = path.join(tmp.dir, 'checkpoints');
    makeCheckpointSeries(checkpoints, nCheckpoints);
    process.stdout.write(`${nCheckpoints} checkpoints (neox-tiny size: 3 layers, 4 heads, d 64), 1000 bootstrap resamples, ${rounds} rounds; ` +
      `${availableParallelism()} cores\n`);
    process.stdout.write(`machine check before: ${await describeCapacity()}\n\n`);
    process.stdout.write('| work per checkpoint | workers | per-checkpoint stage best (s) | median (s) | whole run best (s) | cores used (median) | speed-up (best) | speed-up (median) |\n|---|---|---|---|---|---|---|---|\n');
    for (const scenario of SCENARIOS) {
      const settings = fastExperimentSettings({
        checkpoints,
        task: { nPrompts: scenario.nPrompts, halfLen: scenario.halfLen },
        influence: { bootstrapResamples: 1000 },
      });
      const stage = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
      const total = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
      const cores = new Map<number, number[]>(workerCounts.map((w) => [w, []]));
      for (let round = 0; round < rounds; round++) {
        for (const workers of workerCounts) {
          const out = path.join(tmp.dir, `results-${workers}`);
          rmSync(out, { recursive: true, force: true });
          const start = performance.now();
          const cpuStart = process.cpuUsage();
          await runExperiment(resolveExperimentConfig({ ...settings, out, workers }, 'bench'), { quiet: true });
          const wall = (performance.now() - start) / 1000;
          const cpu = process.cpuUsage(cpuStart);
          total.get(workers)!.push(wall);
          // CPU time of all this process's threads over wall time: the cores the run actually got.
          cores.get(workers)!.push((cpu.user + cpu.system) / 1e6 / wall);
          const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { timings: { per_checkpoint_stage_s: number } };
          stage.get(workers)!.push(manifest.timings.per_checkpoint_stage_s);
        }
      }
      const base = Math.min(...stage.get(workerCounts[0])!);
      const baseMedian = median(stage.get(workerCounts[0])!);
      const work = `${scenario.name}: ${scenario.nPrompts} prompts × ${2 * scenario.halfLen + 1} tokens`;
      for (const workers of workerCounts) {
        const s = stage.get(workers)!;
        process.stdout.write(`| ${work} | ${workers} | ${Math.min(...s).toFixed(2)} | ${median(s).toFixed(2)} | ${Math.min(...total.get(workers)!).toFixed(2)} | ${median(cores.get(workers)!).toFixed(2)} | ` +
          `${(base / Math.min(...s)).toFixed(2)}× | ${(baseMedian / median(s)).toFixed(2)}× |\n`);
      }
    }
    process.stdout.write(`\nmachine check after: ${await describeCapacity()}\n`);
    process.stdout.write(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}. "cores used" = CPU time of all threads / wall time: ` +
      'below the worker count, other work on the machine held the cores, and the speed-up says more about that than about cntlens.\n');
  } finally {
    tmp.cleanup();
  }
}

/**
 * What parallelism the machine offers right now: the same pure-JavaScript loop twice in this
 * thread, then once in each of two worker threads at the same time. On two free cores the second
 * takes half the time; on a machine busy with other work, up to as long as the first.
 */
async function describeCapacity(): Promise<string> {
  // The same function body in both cases, so both get the same optimised code.
  const loop = 'let x = 0; for (let i = 0; i < 3e8; i++) x += Math.sqrt(i); return x;';
  const serialStart = performance.now();
  for (let k = 0; k < 2; k++) new Function(loop)();
  const serial = performance.now() - serialStart;
  const parallelStart = performance.now();
  await Promise.all([0, 1].map(() => new Promise<void>((resolve, reject) => {
    const w = new Worker(`require('node:worker_threads').parentPort.postMessage(new Function(${JSON.stringify(loop)})());`, { eval: true });
    w.once('message', () => void w.terminate().then(() => resolve()));
    w.once('error', reject);
  })));
  const parallel = performance.now() - parallelStart;
  return `a JS loop twice in one thread ${(serial / 1000).toFixed(2)} s, in two threads at once ${(parallel / 1000).toFixed(2)} s ` +
    `(the most 2 workers can gain now: ${(serial / parallel).toFixed(2)}×)`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
