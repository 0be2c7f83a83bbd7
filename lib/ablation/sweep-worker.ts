/**
 * A worker thread of the parallel sweep (lib/util/pool.ts task module). `init` rebuilds the model
 * from its state dict in this thread's own TensorFlow.js backend, reloads the ablation plug-ins
 * and runs the clean pass once; each `handle` then ablates one stack of sources (or computes the
 * clean loss and behaviour) and returns plain per-prompt values.
 */
import { initBackend } from '../model/backend.js';
import { NeoXModel } from '../model/neox.js';
import type { NeoXConfig, StateDict } from '../model/types.js';
import { makePlan, type InfluenceOptions, type SweepPlan } from './plan.js';
import { loadAblationPlugin } from './plugins.js';
import type { RawSweep } from './result.js';
import { ablateSources, cleanMetrics, cleanPass, type CleanState } from './sweep.js';
import { DEFAULT_LSE_CHUNK_ROWS } from './unembed.js';

/** The serialisable part of InfluenceOptions (the ablation by name). */
export type WorkerOptions = Omit<InfluenceOptions, 'ablation' | 'onProgress'> & { ablation: string };

export interface WorkerInit {
  backend: string;
  config: NeoXConfig;
  stateDict: StateDict;
  prompts: number[][];
  options: WorkerOptions;
  plugins: string[];
}

export type WorkItem = { kind: 'clean' } | { kind: 'sources'; indices: number[] };
export type WorkResult =
  | ({ kind: 'clean' } & Pick<RawSweep, 'cleanLoss' | 'behaviour' | 'behaviourPerPrompt'>)
  | ({ kind: 'sources' } & Pick<RawSweep, 'edges' | 'ablatedLoss'>);

let state: { model: NeoXModel; plan: SweepPlan; clean: CleanState; init: WorkerInit } | null = null;

export async function init(data: WorkerInit): Promise<void> {
  await initBackend({ backend: data.backend, quiet: true });
  for (const file of data.plugins) await loadAblationPlugin(file);
  const model = NeoXModel.fromStateDict(data.config, data.stateDict);
  const plan = makePlan(model.config, data.prompts, data.options);
  const clean = cleanPass(model, data.prompts, plan, data.options.lseChunkRows ?? DEFAULT_LSE_CHUNK_ROWS);
  state = { model, plan, clean, init: data };
}

export function handle(item: WorkItem): WorkResult {
  if (!state) throw new Error('sweep-worker: init was not called');
  const { model, plan, clean, init: data } = state;
  if (item.kind === 'clean') {
    return { kind: 'clean', ...cleanMetrics(clean, plan, data.prompts, data.options.lseChunkRows ?? DEFAULT_LSE_CHUNK_ROWS) };
  }
  const raw: Pick<RawSweep, 'edges' | 'ablatedLoss'> = { edges: new Map(), ablatedLoss: new Map() };
  ablateSources(model, plan, clean, item.indices.map((i) => plan.nodes[i]), data.options, raw);
  return { kind: 'sources', ...raw };
}
