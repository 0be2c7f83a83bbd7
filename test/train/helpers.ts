/** Shared settings for the training tests: a model small enough to train a few steps in a second. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Overrides of the default TrainConfig for a tiny, fast run. */
export const TINY_OVERRIDES = {
  model: { vocab_size: 16, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 },
  data: { seqLen: 16, branching: 3, spanMin: 3, spanMax: 5, spansPerSeq: 1 },
  optim: { batchSize: 4, lr: 0.01, warmupSteps: 2 },
  steps: 6,
  checkpoints: { evenly: 3 },
  eval: { prompts: 3, spanLength: 4, every: 2 },
  seed: 7,
};

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cntlens-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
