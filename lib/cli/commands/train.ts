/**
 * `cntlens train`: train the tiny GPT-NeoX on the synthetic induction corpus and save Hugging
 * Face checkpoints on a Pythia-like schedule (lib/train, docs/training.md).
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { OptionError } from '../../util/errors.js';
import { readJsonFile } from '../../util/files.js';
import { formatDuration } from '../../util/progress.js';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from '../../train/config.js';
import { checkpointSteps } from '../../train/schedule.js';
import { ensureTrained } from '../../train/train.js';

const d = DEFAULT_TRAIN_CONFIG;

const usage = `Usage: cntlens train --out DIR [options]

Train a small GPT-NeoX from scratch (TensorFlow.js) on a synthetic corpus where induction heads
pay off, and save checkpoints DIR/step{N}/ (config.json + model.safetensors, Hugging Face
format) on a Pythia-like schedule: step 0, 1, 2, 4, ... then evenly spaced to the end. Also
writes DIR/train-log.csv (step, loss, repeated-half loss, best induction-head score),
DIR/train-config.json and, last, DIR/train-done.json. If DIR already holds a finished run with
the same settings it is reused, not retrained.

Options:
  --out DIR          output folder (required)
  --config FILE      JSON overrides of the training settings (sections model, data, optim,
                     checkpoints, eval; keys steps, seed, embedding), see docs/training.md
  --steps N          number of updates (default ${d.steps})
  --seed S           seed of the initial weights and the data (default ${d.seed})
  --dtype F32|F16    storage type of the checkpoint weights (default ${d.checkpoints.dtype})
  --overwrite        replace a finished run of other settings in DIR
  --quiet            no progress bar
  --backend NAME     auto|wasm|node-gpu|node|cpu (default: $CNTLENS_BACKEND or wasm)

Defaults: ${d.model.num_hidden_layers} layers × ${d.model.num_attention_heads} heads, d_model ${d.model.hidden_size}, vocab ${d.model.vocab_size}, sequences of ${d.data.seqLen} tokens,
batch ${d.optim.batchSize}, AdamW lr ${d.optim.lr} (warmup ${d.optim.warmupSteps}, cosine to ${d.optim.minLrRatio} × lr), ${checkpointSteps({ totalSteps: d.steps, evenly: d.checkpoints.evenly }).length} checkpoints.
This is the model \`npm run experiment\` analyses.
`;

function parsePositiveInt(option: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) >= 2 ** 32) {
    throw new OptionError(option, `must be an integer >= ${min}, got "${value}"`);
  }
  return Number(value);
}

export const command: Command = {
  name: 'train',
  summary: 'train the tiny GPT-NeoX on synthetic induction data, saving HF checkpoints',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        config: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        dtype: { type: 'string' },
        overwrite: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
    });
    if (!values.out) throw new OptionError('--out', 'is required (the folder to write checkpoints into)');
    const steps = parsePositiveInt('--steps', values.steps, 1);
    const seed = parsePositiveInt('--seed', values.seed, 0);
    if (values.dtype !== undefined && values.dtype !== 'F32' && values.dtype !== 'F16') {
      throw new OptionError('--dtype', `must be F32 or F16, got "${values.dtype}"`);
    }

    // File overrides first, then the command-line options on top; validated before anything is written.
    const source = values.config ?? 'train options';
    const overrides = (values.config ? readJsonFile(values.config) : {}) as Record<string, unknown>;
    const base = resolveTrainConfig(overrides, source);
    if (steps !== undefined) base.steps = steps;
    if (seed !== undefined) base.seed = seed;
    if (values.dtype) base.checkpoints.dtype = values.dtype as 'F32' | 'F16';
    const config = resolveTrainConfig(base, source);

    const result = await ensureTrained(values.out, { config, backend: values.backend, quiet: values.quiet, overwrite: values.overwrite });
    const s = result.summary;
    const pc = s.phaseChange;
    const lines = [
      result.reused
        ? `cntlens train: ${values.out} already holds this run (settings ${s.settingsHash.slice(0, 12)}); reused`
        : `cntlens train: ${s.checkpoints.length} checkpoints in ${values.out} (${formatDuration(s.seconds)}, ${s.seconds.toFixed(1)} s, backend ${s.backend}, embedding ${s.embedding})`,
      `  best induction-head score ${pc.initialScore.toFixed(3)} -> ${pc.finalScore.toFixed(3)}; 20%->80% of final between steps ${pc.step20} and ${pc.step80} (${(100 * pc.windowFraction).toFixed(1)}% of the run)`,
      `  repeated-half loss ${pc.initialRepeatedLoss.toFixed(3)} -> ${pc.finalRepeatedLoss.toFixed(3)} (${(100 * pc.repeatedLossRatio).toFixed(1)}% of step 0)`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
