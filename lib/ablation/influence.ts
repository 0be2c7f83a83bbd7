/**
 * What `cntlens influence` does, as one library call for notebooks and scripts: load a model
 * (or take one), make or read the prompts, run the sweep, optionally write the JSON.
 */
import { NeoXModel } from '../model/neox.js';
import { OptionError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import type { InfluenceModel, InfluenceOptions } from './plan.js';
import type { InfluenceResult } from './result.js';
import { influenceSweep } from './sweep.js';
import { naiveInfluenceSweep } from './naive.js';
import { INDUCTION_DEFAULTS, inductionHalfLength, inductionPrompts, readPromptsFile, type InductionTaskOptions } from './tasks.js';
import { checkSweepRequest } from './resources.js';
import type { NeoXConfig } from '../model/types.js';
import type { MemoryLimit } from '../util/resources.js';

export interface InfluenceRequest extends InfluenceOptions {
  /** A checkpoint folder, or a loaded model. */
  model: string | InfluenceModel;
  /** Token ids, or a prompt file `{"tokens": [[…], …]}`; when absent the induction task is used. */
  prompts?: number[][] | string;
  /** Induction-task parameters (when `prompts` is absent). */
  task?: InductionTaskOptions;
  /** 'fast' (default) or 'naive' (the reference sweep, one full pass per ablation). */
  mode?: 'fast' | 'naive';
  /** Write the result here as JSON (atomically). */
  out?: string;
}

/**
 * Refuse, before any prompt is made or weight read, a request the model's context or this
 * process's memory cannot take: induction prompts longer than max_position_embeddings (naming
 * the largest --half-len), or a sweep whose estimate exceeds the memory limit (resources.ts,
 * naming --n-prompts, --half-len, --bootstrap or the prompt file, and the largest value that fits).
 */
export function checkInfluenceRequest(request: Pick<InfluenceRequest, 'prompts' | 'task'>, config: NeoXConfig, bootstrap: { resamples: number; option: string }, limit?: MemoryLimit): void {
  const names = { batch: '--n-prompts', halfLen: '--half-len', resamples: bootstrap.option };
  if (typeof request.prompts === 'string') {
    const prompts = readPromptsFile(request.prompts, { vocabSize: config.vocabSize, maxLength: config.maxPositionEmbeddings });
    checkSweepRequest({ config, batch: prompts.length, seqLen: prompts[0].length, resamples: bootstrap.resamples, induction: inductionHalfLength(prompts) !== null }, { ...names, batch: request.prompts, halfLen: undefined, file: request.prompts }, limit);
    return;
  }
  if (Array.isArray(request.prompts)) return;
  const nPrompts = request.task?.nPrompts ?? INDUCTION_DEFAULTS.nPrompts;
  const halfLen = request.task?.halfLen ?? INDUCTION_DEFAULTS.halfLen;
  checkHalfLen(halfLen, config.maxPositionEmbeddings);
  checkSweepRequest({ config, batch: nPrompts, seqLen: 2 * halfLen + 1, resamples: bootstrap.resamples, induction: true }, names, limit);
}

/** Induction prompts [bos] + R + R of 2n + 1 tokens must fit the context. */
export function checkHalfLen(halfLen: number, context: number, option = '--half-len'): void {
  if (2 * halfLen + 1 > context) {
    throw new OptionError(option, `${halfLen} makes prompts of ${2 * halfLen + 1} tokens, longer than the model's context of ${context} (max_position_embeddings); at most ${Math.floor((context - 1) / 2)}`);
  }
}

/** Resolve the prompts of a request against a model's vocabulary. */
export function requestPrompts(request: Pick<InfluenceRequest, 'prompts' | 'task'>, model: InfluenceModel): { prompts: number[][]; source: Record<string, unknown> } {
  const { vocabSize, maxPositionEmbeddings } = model.config;
  if (typeof request.prompts === 'string') {
    if (request.task) throw new OptionError('--prompts', 'give either a prompt file or a task, not both');
    return { prompts: readPromptsFile(request.prompts, { vocabSize, maxLength: maxPositionEmbeddings }), source: { prompts_file: request.prompts } };
  }
  if (request.prompts) return { prompts: request.prompts, source: { prompts: 'given' } };
  const task = request.task ?? {};
  // Checked before the prompts are made: 2n + 1 tokens of a huge n would not fit in memory either.
  checkHalfLen(task.halfLen ?? INDUCTION_DEFAULTS.halfLen, maxPositionEmbeddings);
  const prompts = inductionPrompts(task, vocabSize);
  return {
    prompts,
    source: {
      task: {
        kind: 'induction',
        n_prompts: prompts.length,
        half_len: (prompts[0].length - 1) / 2,
        seed: task.seed ?? 0,
        token_range: task.tokenRange ?? [1, vocabSize],
        bos: task.bos ?? 0,
      },
    },
  };
}

export async function computeInfluence(request: InfluenceRequest): Promise<InfluenceResult> {
  const owned = typeof request.model === 'string';
  const model = typeof request.model === 'string' ? await NeoXModel.load(request.model) : request.model;
  try {
    const { prompts, source } = requestPrompts(request, model);
    const sweep = request.mode === 'naive' ? naiveInfluenceSweep : influenceSweep;
    const result = await sweep(model, prompts, request);
    Object.assign(result.settings, source, typeof request.model === 'string' ? { model: request.model } : {});
    if (request.out) await writeInfluenceJson(request.out, result);
    return result;
  } finally {
    if (owned) (model as NeoXModel).dispose();
  }
}

/** The JSON file `cntlens influence` writes (per-prompt values only when `perPrompt`). */
export async function writeInfluenceJson(file: string, result: InfluenceResult, perPrompt = false): Promise<void> {
  const { per_prompt: perPromptValues, ...rest } = result;
  const json = perPrompt && perPromptValues ? { ...rest, per_prompt: perPromptValues } : rest;
  await writeFileAtomic(file, JSON.stringify(json) + '\n');
}
