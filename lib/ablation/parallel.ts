/**
 * The fast sweep spread over worker threads, each with its own TensorFlow.js backend (the wasm
 * backend is single-threaded in Node). Every worker rebuilds the model from a copy of its state
 * dict and runs the clean pass once; then the stacks of ablations (one per layer, largest first)
 * and the clean-loss computation are handed out as workers free up. Results are identical to the
 * single-thread sweep (each stack is computed the same way wherever it runs).
 *
 * Worth it only when a checkpoint takes several seconds: starting a worker (module loading, wasm
 * compilation, weight upload, clean pass) costs about a second (module loading and the wasm backend
 * alone: 0.7 s compiled, 1.6 s from the sources through tsx; `npm run bench -- startup`).
 */
import * as tf from '@tensorflow/tfjs';
import { NeoXModel } from '../model/neox.js';
import { siblingModule } from '../util/package.js';
import { mapInPool } from '../util/pool.js';
import { BUILTIN_ABLATIONS } from './ablations/index.js';
import type { InfluenceModel, InfluenceOptions, SweepPlan } from './plan.js';
import { pluginFileOf } from './plugins.js';
import type { RawSweep } from './result.js';
import { stackGroups, stackSize } from './sweep.js';
import type { WorkerInit, WorkItem, WorkResult } from './sweep-worker.js';

const WORKER_MODULE = siblingModule(new URL('./sweep-worker.js', import.meta.url));

/** Why this sweep cannot run in workers, or null when it can. */
export function parallelObstacle(model: InfluenceModel, plan: SweepPlan): string | null {
  if (!(model instanceof NeoXModel)) return 'the model is not a NeoXModel (workers rebuild it from its state dict)';
  const name = plan.ablation.name;
  if (!BUILTIN_ABLATIONS.includes(name) && !pluginFileOf(name)) {
    return `ablation "${name}" was registered in this thread only (load it with loadAblationPlugin / --plugin so workers can too)`;
  }
  return null;
}

/** The backend name to ask for in workers, from the one in use here. */
function backendName(): string {
  const current = tf.getBackend();
  return current === 'tensorflow' ? 'node' : current;
}

export async function parallelSweepRaw(model: NeoXModel, prompts: number[][], plan: SweepPlan, options: InfluenceOptions, workers: number): Promise<RawSweep> {
  const groups = stackGroups(plan.sources, stackSize(plan, options));
  const items: WorkItem[] = [...groups.map((g): WorkItem => ({ kind: 'sources', indices: g.map((n) => n.index) })), { kind: 'clean' }];
  // Functions cannot cross threads: the ablation goes by name, progress stays here.
  const workerOptions: WorkerInit['options'] = { ...options, ablation: plan.ablation.name };
  delete (workerOptions as InfluenceOptions).onProgress;
  const plugin = pluginFileOf(plan.ablation.name);
  const init: WorkerInit = {
    backend: backendName(),
    config: model.config,
    stateDict: model.toStateDict(),
    prompts,
    options: workerOptions,
    plugins: plugin ? [plugin] : [],
  };
  let done = 0;
  const results = await mapInPool<WorkItem, WorkResult>(items, {
    module: WORKER_MODULE,
    init,
    workers,
    onResult: (index) => {
      const item = items[index];
      if (item.kind !== 'sources') return;
      done += item.indices.length;
      options.onProgress?.(done, plan.sources.length, plan.nodes[item.indices[item.indices.length - 1]].name);
    },
  });
  const raw: RawSweep = { edges: new Map(), ablatedLoss: new Map(), cleanLoss: new Float64Array(0), behaviour: null };
  for (const result of results) {
    if (result.kind === 'clean') {
      raw.cleanLoss = result.cleanLoss;
      raw.behaviour = result.behaviour;
      raw.behaviourPerPrompt = result.behaviourPerPrompt;
    } else {
      for (const [k, v] of result.edges) raw.edges.set(k, v);
      for (const [k, v] of result.ablatedLoss) raw.ablatedLoss.set(k, v);
    }
  }
  return raw;
}
