/**
 * Start-up costs, compiled (dist/, what `npx cntlens` and the published package run) against the
 * TypeScript sources through tsx (development: `npm run dev`, the tests):
 * - `cntlens --help`, and `cntlens influence --help` (which loads its command module, TF.js
 *   included), as child processes;
 * - a worker thread of the experiment's pool (lib/util/pool-worker.js with the checkpoint task
 *   module) from its creation until it is ready to take a checkpoint: module loading and the wasm
 *   backend's initialisation, what every worker pays before its first item. A bare worker thread
 *   (an empty module) is the floor.
 * Each is run ROUNDS times; the table shows the best and the median, since other load on the
 * machine only ever adds time. dist/ is built first (incrementally).
 *
 * Environment: BENCH_ROUNDS (default 7).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT } from '../test/cli/bin.js';
import { buildCheckout } from '../test/package/consumer.js';

const TSX = ['--import', import.meta.resolve('tsx')];

export async function run(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  buildCheckout();
  process.stdout.write(`${rounds} rounds each; load average at the start: ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n\n`);
  process.stdout.write('| what | compiled (dist/) best | median | sources through tsx best | median |\n|---|---|---|---|---|\n');
  const dist = path.join(REPO_ROOT, 'dist');
  const cli = (args: string[]) => ({
    compiled: () => spawnMs([path.join(dist, 'bin', 'cntlens.js'), ...args]),
    sources: () => spawnMs([...TSX, path.join(REPO_ROOT, 'bin', 'cntlens.ts'), ...args]),
  });
  const rows: [string, { compiled: () => Promise<number>; sources: () => Promise<number> }][] = [
    ['`cntlens --help` (process, ms)', cli(['--help'])],
    ['`cntlens influence --help` (process, ms)', cli(['influence', '--help'])],
    ['pool worker ready: checkpoint task, wasm backend (ms)', {
      compiled: () => workerReadyMs(path.join(dist, 'lib'), 'js', []),
      // As in development and the tests: the worker inherits this process's tsx and registers it.
      sources: () => workerReadyMs(path.join(REPO_ROOT, 'lib'), 'ts', undefined),
    }],
  ];
  for (const [name, { compiled, sources }] of rows) {
    const a = await repeat(compiled, rounds);
    const b = await repeat(sources, rounds);
    process.stdout.write(`| ${name} | ${Math.min(...a).toFixed(0)} | ${median(a).toFixed(0)} | ${Math.min(...b).toFixed(0)} | ${median(b).toFixed(0)} |\n`);
  }
  const bare = await repeat(bareWorkerMs, rounds);
  const node = await repeat(() => spawnMs(['-e', '0']), rounds);
  process.stdout.write(`\nfloors: \`node -e 0\` best ${Math.min(...node).toFixed(0)} ms (median ${median(node).toFixed(0)}); ` +
    `a worker thread of an empty module best ${Math.min(...bare).toFixed(0)} ms (median ${median(bare).toFixed(0)})\n`);
}

async function repeat(f: () => Promise<number>, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await f());
  return times;
}

/** Wall time of `node ARGS` to its exit; a failure is an error (the table would lie). */
async function spawnMs(args: string[]): Promise<number> {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/**
 * A pool worker as lib/util/pool.ts starts it, until its `ready` message. `execArgv` [] gives the
 * compiled worker a plain Node.js, as `npx cntlens` has; undefined inherits this process's.
 */
function workerReadyMs(lib: string, ext: string, execArgv: string[] | undefined): Promise<number> {
  const start = performance.now();
  const worker = new Worker(pathToFileURL(path.join(lib, 'util', 'pool-worker.js')), {
    execArgv,
    workerData: {
      module: pathToFileURL(path.join(lib, 'experiment', `checkpoint-task.${ext}`)).href,
      init: { config: { backend: 'wasm', plugins: [] } },
    },
  });
  return readyTime(worker, start);
}

function bareWorkerMs(): Promise<number> {
  const start = performance.now();
  const worker = new Worker("require('node:worker_threads').parentPort.postMessage({ ready: true });", { eval: true, execArgv: [] });
  return readyTime(worker, start);
}

function readyTime(worker: Worker, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    worker.once('message', (msg: { ready?: boolean }) => {
      const ms = performance.now() - start;
      void worker.terminate().then(() => (msg.ready ? resolve(ms) : reject(new Error(`worker said ${JSON.stringify(msg)}`))));
    });
    worker.once('error', reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
