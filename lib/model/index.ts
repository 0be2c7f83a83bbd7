/**
 * The GPT-NeoX (Pythia) port: checkpoint loading, parameters, the forward pass with hooks, and
 * zero-ablation by name. See docs/model.md.
 */
export type { HookName, HostTensor, NeoXConfig, Patch, RunOptions, RunResult, StateDict } from './types.js';
export { PER_HEAD_HOOKS } from './types.js';

export { checkTokens, NeoXModel, rotaryTables, runNeoX } from './neox.js';
export type { NeoXRunOptions, Tokens } from './neox.js';

export {
  disposeParams,
  expectedStateDictShapes,
  mapParams,
  namedParams,
  paramsFromStateDict,
  qkvToHF,
  qkvToMath,
  stateDictFromParams,
  transpose2d,
  validateStateDict,
} from './params.js';
export type { LayerNormParams, NeoXBlockParams, NeoXParams } from './params.js';

export { BLOCK_HOOK_POINTS, blockHook, hookNames, hookShape, HookRunner, parseHookName } from './hooks.js';
export type { BlockHookPoint, HookInfo } from './hooks.js';

export { ablationComponentName, ablationPatch, parseAblationComponent, parseAblationComponents, parseAblationNames } from './ablation-names.js';
export type { AblationComponent } from './ablation-names.js';

export { channelBatchMatMul, gatherRows, gelu, layerNorm, linear } from './ops.js';
export { initStateDict } from './init.js';
export type { InitOptions } from './init.js';

// Loading and backends (lib/model/config.ts, checkpoint.ts, safetensors.ts, backend.ts).
export * from './config.js';
export * from './checkpoint.js';
export * from './safetensors.js';
export * from './backend.js';
