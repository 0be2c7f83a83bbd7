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
import { inductionPrompts, readPromptsFile, type InductionTaskOptions } from './tasks.js';

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

/** Resolve the prompts of a request against a model's vocabulary. */
export function requestPrompts(request: Pick<InfluenceRequest, 'prompts' | 'task'>, model: InfluenceModel): { prompts: number[][]; source: Record<string, unknown> } {
  const { vocabSize, maxPositionEmbeddings } = model.config;
  if (typeof request.prompts === 'string') {
    if (request.task) throw new OptionError('--prompts', 'give either a prompt file or a task, not both');
    return { prompts: readPromptsFile(request.prompts, { vocabSize, maxLength: maxPositionEmbeddings }), source: { prompts_file: request.prompts } };
  }
  if (request.prompts) return { prompts: request.prompts, source: { prompts: 'given' } };
  const task = request.task ?? {};
  const prompts = inductionPrompts(task, vocabSize);
  if (prompts[0].length > maxPositionEmbeddings) {
    throw new OptionError('--half-len', `prompts of ${prompts[0].length} tokens exceed the model's max_position_embeddings ${maxPositionEmbeddings}`);
  }
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
