/**
 * Influence sweep of one random Pythia-14M-shaped checkpoint (6 layers × 4 heads, d 128,
 * d_mlp 512, vocab 50304; weights as the fixtures draw them): 8 induction prompts × 101 tokens,
 * zero ablation, cosine, measured positions 51:101, loss positions 50:100. Seconds per
 * checkpoint and projected for Pythia's 143 checkpoints, for the fast sweep
 * (lib/ablation/sweep.ts) and the naive one (a full forward pass with full logits per
 * ablation), and their ratio.
 *
 * Reference points from the issue, same machine class and settings, PyTorch 1.13 eager on the
 * CPU: naive ≈ 13 s per checkpoint (11.5 s with 2 threads); optimised ≈ 5.0 s (3.7 s with 2).
 *
 * Environment: CNTLENS_BENCH_REPEATS (fast-sweep repeats, best kept, default 2), CNTLENS_BENCH_NAIVE=0 to
 * skip the naive sweep.
 */
import { availableParallelism, loadavg } from 'node:os';
import { initBackend } from '../lib/model/backend.js';
import { randomPythia14m } from './pythia14m.js';
import { influenceSweep } from '../lib/ablation/sweep.js';
import { naiveInfluenceSweep } from '../lib/ablation/naive.js';
import { inductionPrompts } from '../lib/ablation/tasks.js';
import type { InfluenceOptions } from '../lib/ablation/plan.js';

export const BENCH_OPTIONS: InfluenceOptions = { ablation: 'zero', measure: 'cosine', positions: '51:101', lossPositions: '50:100' };

/** Wall-clock and CPU seconds (all threads of the process) of one call. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

export async function run(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const model = randomPythia14m(14);
  const config = model.config;
  const prompts = inductionPrompts({ nPrompts: 8, halfLen: 50, seed: 0 }, config.vocabSize);
  const repeats = Math.max(1, Number(process.env.CNTLENS_BENCH_REPEATS ?? 2));

  await influenceSweep(model, prompts.slice(0, 2), BENCH_OPTIONS); // warm-up (wasm compilation, kernels)
  const best = (runs: { wall: number; cpu: number }[]): { wall: number; cpu: number } => runs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const fastRuns = [];
  for (let i = 0; i < repeats; i++) fastRuns.push(await timed(() => influenceSweep(model, prompts, BENCH_OPTIONS)));
  const fast = best(fastRuns);
  const parallelRuns = [];
  for (let i = 0; i < repeats; i++) parallelRuns.push(await timed(() => influenceSweep(model, prompts, { ...BENCH_OPTIONS, workers: 2 })));
  const parallel = best(parallelRuns);
  const naive = process.env.CNTLENS_BENCH_NAIVE === '0' ? null : await timed(() => naiveInfluenceSweep(model, prompts, BENCH_OPTIONS));

  const line = (name: string, t: { wall: number; cpu: number } | null): string[] => t === null
    ? [name, 'skipped', '-', '-', '-']
    : [name, t.wall.toFixed(2), t.cpu.toFixed(2), `${(t.wall * 143 / 60).toFixed(1)} min`, naive ? `${(naive.wall / t.wall).toFixed(1)}×` : '-'];
  const rows: string[][] = [
    ['sweep', 'wall s / ckpt', 'CPU s', 'wall × 143', 'speed-up vs naive'],
    line('fast, 1 thread', fast),
    line('fast, 2 worker threads', parallel),
    line('naive (full pass + full logits per ablation)', naive),
    ['PyTorch 1.13 naive, 1 / 2 threads (issue)', '13.0 / 11.5', '', `${(13 * 143 / 60).toFixed(1)} min`, ''],
    ['PyTorch 1.13 optimised, 1 / 2 threads (issue)', '5.0 / 3.7', '', `${(5 * 143 / 60).toFixed(1)} min`, ''],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const load = loadavg()[0].toFixed(1);
  process.stdout.write(`backend ${backend}; Pythia-14M shape, 8 × 101 tokens, zero / cosine, positions 51:101, loss 50:100; load average ${load} on ${availableParallelism()} cores\n`);
  process.stdout.write(`fast runs (wall s): ${fastRuns.map((t) => t.wall.toFixed(2)).join(', ')}; 2 workers: ${parallelRuns.map((t) => t.wall.toFixed(2)).join(', ')}\n`);
  for (const r of rows) process.stdout.write(`${r.map((x, c) => x.padEnd(widths[c])).join('  ')}\n`);
  process.stdout.write('CPU s = CPU time of all threads; on a busy machine it is the better guide to the single-thread speed.\n');
  model.dispose();
}
