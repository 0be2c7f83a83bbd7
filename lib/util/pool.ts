/**
 * A pool of worker threads, each with its own module instance (and so its own TensorFlow.js
 * backend): the task module exports `init(initData)` (optional, once per worker) and
 * `handle(item)`. Items are handed out one at a time as workers free up; results come back in
 * item order, so the output does not depend on scheduling. With `workers <= 1` everything runs
 * in this thread, through the same module functions.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { CntlensError } from './errors.js';

export interface PoolOptions<R> {
  /** Absolute path of the task module (compiled .js; a .ts one when run from the sources, see siblingModule). */
  module: string;
  /** Passed to the module's `init` in each worker (structured-clonable). */
  init?: unknown;
  /** Number of workers; 0 or undefined = the core count. */
  workers?: number;
  /** Called as each result arrives (in completion order), e.g. for progress and saving. */
  onResult?: (index: number, result: R) => void | Promise<void>;
}

interface TaskModule<T, R> {
  init?: (data: unknown) => unknown;
  handle: (item: T) => Promise<R> | R;
}

export function defaultWorkerCount(): number {
  return availableParallelism();
}

export async function mapInPool<T, R>(items: readonly T[], options: PoolOptions<R>): Promise<R[]> {
  const n = Math.max(1, Math.min(options.workers || defaultWorkerCount(), items.length));
  if (n <= 1) return runInThread(items, options);

  const results = new Array<R>(items.length);
  let next = 0;
  let failure: Error | null = null;
  const workers: Worker[] = [];
  const bootstrap = new URL('./pool-worker.js', import.meta.url);

  const runWorker = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(bootstrap, { workerData: { module: pathToFileURL(options.module).href, init: options.init } });
      workers.push(worker);
      let current = -1;
      let inFlight = false;
      /** Set once this worker is told to stop, so its exit is expected. */
      let stopping = false;
      const stop = (): Promise<number> => {
        stopping = true;
        return worker.terminate();
      };
      const feed = (): void => {
        if (failure || next >= items.length) {
          void stop().then(() => resolve());
          return;
        }
        current = next++;
        inFlight = true;
        worker.postMessage({ id: current, item: items[current] });
      };
      worker.on('message', (msg: { ready?: boolean; id?: number; ok?: boolean; result?: R; error?: { name?: string; message: string; stack?: string } }) => {
        if (msg.ready) return feed();
        inFlight = false;
        if (!msg.ok) {
          failure = rebuildError(msg.error!);
          void stop().then(() => reject(failure));
          return;
        }
        results[msg.id!] = msg.result as R;
        Promise.resolve(options.onResult?.(msg.id!, msg.result as R)).then(feed, (err) => {
          failure = err as Error;
          void stop().then(() => reject(err));
        });
      });
      worker.on('error', (err) => {
        failure = err;
        reject(err);
      });
      // A worker that dies on its own (process.exit in a task, out of memory) must fail the pool,
      // whatever it was doing: waiting for it would hang forever.
      worker.on('exit', (code) => {
        if (stopping || failure) return;
        failure = new Error(`worker thread exited with code ${code} ${inFlight ? `while processing item ${current}` : 'before taking an item'}`);
        reject(failure);
      });
    });

  try {
    await Promise.all(Array.from({ length: n }, runWorker));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

async function runInThread<T, R>(items: readonly T[], options: PoolOptions<R>): Promise<R[]> {
  const mod = (await import(pathToFileURL(options.module).href)) as TaskModule<T, R>;
  if (mod.init) await mod.init(options.init);
  const results: R[] = [];
  for (let i = 0; i < items.length; i++) {
    results.push(await mod.handle(items[i]));
    await options.onResult?.(i, results[i]);
  }
  return results;
}

/** Errors cross the thread boundary as plain objects; user errors stay user errors. */
function rebuildError(e: { name?: string; message: string; stack?: string }): Error {
  if (e.name && USER_ERRORS.has(e.name)) return new CntlensError(e.message);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

const USER_ERRORS = new Set(['CntlensError', 'InputError', 'OptionError']);
