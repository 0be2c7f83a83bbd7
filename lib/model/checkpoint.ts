/**
 * Loading a Hugging Face GPT-NeoX checkpoint folder: config.json plus weights in one of
 * `model.safetensors`, sharded safetensors (`model.safetensors.index.json`) or `pytorch_model.bin`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { readConfig } from './config.js';
import { readSafetensors } from './safetensors.js';
import type { NeoXConfig, StateDict } from './types.js';

export interface LoadedCheckpoint {
  dir: string;
  config: NeoXConfig;
  stateDict: StateDict;
  /** The weights file(s) read. */
  files: string[];
}

/** Read config and weights of a checkpoint folder; shapes are checked against the config. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  if (!existsSync(dir)) throw new InputError(dir, 'no such checkpoint folder');
  if (!statSync(dir).isDirectory()) throw new InputError(dir, 'not a folder (a checkpoint is a folder with config.json and weights)');
  const config = readConfig(dir);
  const single = path.join(dir, 'model.safetensors');
  if (existsSync(single)) {
    const { tensors } = readSafetensors(single);
    return { dir, config, stateDict: tensors, files: [single] };
  }
  const present = readdirSync(dir).join(', ') || 'nothing';
  throw new InputError(dir, `no weights found (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin; folder has ${present})`);
}
