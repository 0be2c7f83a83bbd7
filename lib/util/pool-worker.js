// Worker-thread bootstrap for lib/util/pool.ts. Plain JavaScript so it can register the tsx loader
// before importing the TypeScript task module (loader hooks of the main thread do not carry over).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
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
