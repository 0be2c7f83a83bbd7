/**
 * `cntlens experiment`: the whole study (see lib/experiment/pipeline.ts).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_EXPERIMENT_CONFIG, readExperimentConfig, resolveExperimentConfig, type ExperimentConfig } from '../../experiment/config.js';
import { runExperiment } from '../../experiment/pipeline.js';
import { parseShard } from '../../experiment/shard.js';
import type { Command } from '../main.js';
import { phaseFlagLayers, toInt, type FlagLayer } from '../settings-flags.js';

const d = DEFAULT_EXPERIMENT_CONFIG;
const usage = `Usage: cntlens experiment [--config FILE.json] [--checkpoints SRC] [--out DIR] [options]

For each checkpoint: load -> ablate every head and MLP, measure the influence on every downstream
component -> network metrics; then learning phases and roles over the series; then report.html.
With no arguments it trains (or reuses) the default tiny GPT-NeoX in ${d.trainDir} and analyses
its checkpoints, fully offline. Finished checkpoints are kept and skipped on a rerun.

Every setting lives in one config (a JSON file, --config); flags override it. See README.md.

Checkpoints:
  --checkpoints SRC     default (the tiny model, default), a folder of checkpoint folders
                        (step1000/, ...), hf:ORG/NAME (the Hugging Face cache: HF_HUB_CACHE /
                        HF_HOME), a comma-separated list of folders, or a .txt/.json list file
  --steps SEL           all (default), a list 0,1000,2000, or ranges 1000..143000:1000
  --train-dir DIR       where the default model is trained (default ${d.trainDir})
  --strict              stop at a checkpoint that fails to load (default: report and skip it)
Task and influence:
  --prompts FILE.json   prompts {"tokens": [[...], ...]} instead of induction prompts
  --n-prompts N         induction prompts [0] + R + R (default ${d.task.nPrompts})
  --half-len N          length of R (default: the tiny model's eval span, else 50, capped by the context)
  --seed S              seed of the prompts and of the ablations' draws (default ${d.task.seed})
  --ablation NAME       zero (default), mean, resample, noise, or one a --plugin registers
  --measure NAME        cosine (default), relative_l2, kl
  --positions P         measured positions: all (default) or from:to
  --loss-positions P    loss positions from:to (default: the repeated half)
  --plugin FILE         import FILE first (e.g. it registers an ablation type); repeatable
Series:
  --phase-model M       phases as regimes with their own line per metric (linear, default) or
                        their own level (constant)
  --warmup N|auto       learning-rate warm-up steps left out of the phase search (default auto:
                        the tiny model's warm-up for the default checkpoints, else 0)
  --penalty X           change-point penalty (default: computed from n, d and the model, see README)
  --min-size N          minimum checkpoints per phase (default ${d.phases.minSize})
  --no-figures          skip the static SVG/PNG figures
Running:
  --out DIR             results folder (default ${d.out})
  --workers N           worker threads (default 0 = one per core)
  --shard K/N           only every N-th checkpoint from the K-th (0-based); then cntlens merge DIR
  --backend B           wasm (default), node-gpu, node, cpu, auto (or $CNTLENS_BACKEND)
  --quiet               no progress bars or summary
`;

export const command: Command = {
  name: 'experiment',
  summary: 'the whole study: influence graphs, metrics, phases and report over checkpoints',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        checkpoints: { type: 'string' },
        steps: { type: 'string' },
        out: { type: 'string' },
        'train-dir': { type: 'string' },
        strict: { type: 'boolean' },
        prompts: { type: 'string' },
        'n-prompts': { type: 'string' },
        'half-len': { type: 'string' },
        seed: { type: 'string' },
        ablation: { type: 'string' },
        measure: { type: 'string' },
        positions: { type: 'string' },
        'loss-positions': { type: 'string' },
        plugin: { type: 'string', multiple: true },
        penalty: { type: 'string' },
        'min-size': { type: 'string' },
        'phase-model': { type: 'string' },
        warmup: { type: 'string' },
        'no-figures': { type: 'boolean' },
        workers: { type: 'string' },
        shard: { type: 'string' },
        backend: { type: 'string' },
        quiet: { type: 'boolean' },
      },
    });
    const base: ExperimentConfig = values.config ? readExperimentConfig(values.config) : DEFAULT_EXPERIMENT_CONFIG;
    const seed = toInt('--seed', values.seed);
    // Each flag is applied as its own layer over the file, so a bad value is reported under the
    // flag the user typed (e.g. `--backend: "backend" must be one of …`).
    const flags: FlagLayer[] = [
      ['--checkpoints', values.checkpoints, (v: string) => ({ checkpoints: v })],
      ['--steps', values.steps, (v: string) => ({ steps: v })],
      ['--out', values.out, (v: string) => ({ out: v })],
      ['--train-dir', values['train-dir'], (v: string) => ({ trainDir: v })],
      ['--strict', values.strict, (v: boolean) => ({ strict: v })],
      ['--prompts', values.prompts, (v: string) => ({ task: { prompts: v } })],
      ['--n-prompts', toInt('--n-prompts', values['n-prompts']), (v: number) => ({ task: { nPrompts: v } })],
      ['--half-len', toInt('--half-len', values['half-len']), (v: number) => ({ task: { halfLen: v } })],
      ['--seed', seed, (v: number) => ({ task: { seed: v }, influence: { seed: v } })],
      ['--ablation', values.ablation, (v: string) => ({ influence: { ablation: v } })],
      ['--measure', values.measure, (v: string) => ({ influence: { measure: v } })],
      ['--positions', values.positions, (v: string) => ({ influence: { positions: v } })],
      ['--loss-positions', values['loss-positions'], (v: string) => ({ influence: { lossPositions: v } })],
      ...phaseFlagLayers(values),
      ['--workers', toInt('--workers', values.workers), (v: number) => ({ workers: v })],
      ['--backend', values.backend, (v: string) => ({ backend: v })],
      ['--plugin', values.plugin, (v: string[]) => ({ plugins: v })],
    ];
    let config = base;
    for (const [flag, value, layer] of flags) if (value !== undefined) config = resolveExperimentConfig(layer(value as never), flag, config);
    const shard = values.shard ? parseShard(values.shard) : null;
    const result = await runExperiment(config, { shard, quiet: values.quiet ?? false });
    return config.strict && result.checkpoints.some((c) => c.status === 'failed') ? 1 : 0;
  },
};
