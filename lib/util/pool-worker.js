// Worker-thread bootstrap for lib/util/pool.ts: imports the task module, runs its `init`, then
// answers the pool's messages. Plain JavaScript so that, run from the TypeScript sources (tests,
// `node --import tsx`), it can register tsx before importing a .ts task module: loader hooks of the
// main thread do not carry over to workers. The published package has compiled .js task modules
// and never loads tsx, which is only a development dependency.
import { parentPort, workerData } from 'node:worker_threads';

if (/\.[cm]?ts$/.test(new URL(workerData.module).pathname)) {
  const { register } = await import('tsx/esm/api');
  register();
}
const mod = await import(workerData.module);
if (typeof mod.init === 'function') await mod.init(workerData.init);
parentPort.on('message', async ({ id, item }) => {
  try {
    const result = await mod.handle(item);
    parentPort.postMessage({ id, ok: true, result });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: { name: err?.name, message: err?.message ?? String(err), stack: err?.stack } });
  }
});
parentPort.postMessage({ ready: true });
