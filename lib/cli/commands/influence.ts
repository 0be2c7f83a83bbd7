/**
 * `cntlens influence`: the influence graph of one checkpoint (lib/ablation): ablate every head and
 * MLP in turn and measure how every downstream component changes.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { initBackend } from '../../model/backend.js';
import { NeoXModel } from '../../model/neox.js';
import { OptionError } from '../../util/errors.js';
import { checkOutputFile } from '../../util/files.js';
import { Progress } from '../../util/progress.js';
import { ablationNames, getAblation } from '../../ablation/registry.js';
import { MEASURES, parseMeasure } from '../../ablation/measures.js';
import { parsePositions } from '../../ablation/positions.js';
import { loadAblationPlugin } from '../../ablation/plugins.js';
import { checkInfluenceRequest, requestPrompts, writeInfluenceJson } from '../../ablation/influence.js';
import { readCheckpointConfig } from '../../model/checkpoint.js';
import { influenceSweep } from '../../ablation/sweep.js';
import { naiveInfluenceSweep } from '../../ablation/naive.js';
import { INDUCTION_DEFAULTS, type InductionTaskOptions } from '../../ablation/tasks.js';
import type { InfluenceOptions } from '../../ablation/plan.js';
import '../../ablation/ablations/index.js';

const usage = `Usage: cntlens influence --model DIR [--prompts FILE | --task induction ...] --out FILE.json [options]

The influence graph of one checkpoint: nodes L{l}H{h} (heads), L{l}MLP per layer, then LOGITS;
edge i → j = how much ablating component i changes component j (mean over prompts and measured
positions), with 95% bootstrap intervals over prompts, plus each component's delta_loss.

Model and prompts:
  --model DIR            Hugging Face GPT-NeoX checkpoint folder (required)
  --prompts FILE         prompt file {"tokens": [[id, ...], ...]}, all prompts of one length
  --task induction       the induction task [bos] + R + R (the default when --prompts is absent):
    --n-prompts N        number of prompts (default ${INDUCTION_DEFAULTS.nPrompts})
    --half-len N         length of R (default ${INDUCTION_DEFAULTS.halfLen}; prompts have 2N+1 tokens)
    --token-range A:B    ids of R drawn uniformly from [A, B) (default 1:vocab_size; Pythia's
                         tokenizer: 1:50277)
    --bos ID             first token (default ${INDUCTION_DEFAULTS.bos})

Sweep:
  --ablation NAME        what an ablated output is replaced with: ${ablationNames().join(' | ')}
                         (default zero; more with --plugin)
  --measure NAME         ${MEASURES.join(' | ')} (default cosine; kl weighs only edges into LOGITS)
  --positions P          measured positions: all or FROM:TO, half-open (default all)
  --loss-positions P     logit positions of the loss, FROM:TO or all (logit p predicts token p+1);
                         default: the repeated half N:2N for induction prompts, else all
  --seed S               seed of the task's tokens, of resample/noise ablations and of the
                         bootstrap (default 0)
  --bootstrap N          bootstrap resamples over prompts (default 1000; 0 = no intervals:
                         ci_low = ci_high = the estimate)
  --ci-level X           interval coverage (default 0.95)
  --icl-window N         tokens at each end of the repeat for the ICL score (default max(1, N/10))
  --plugin FILE          import FILE (.ts/.js), which registers more ablation types (repeatable)
  --naive                use the naive reference sweep (one full forward pass per ablation)
  --workers N            spread the ablations over N worker threads (default 1; each thread
                         has its own backend and model copy; pays only when a checkpoint takes
                         much longer than starting a worker, ~2 s)

Output:
  --out FILE             write the result JSON here (required): nodes, matrix (row = source,
                         column = target), ci_low, ci_high, delta_loss, delta_loss_ci, clean_loss,
                         behaviour, settings
  --per-prompt           also write per-prompt values (per_prompt)
  --quiet                no progress bar
  --backend NAME         auto | wasm | node-gpu | node | cpu (default wasm, or $CNTLENS_BACKEND)
`;

function integer(value: string | undefined, option: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new OptionError(option, `expected an integer, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new OptionError(option, `${value} is too large`);
  if (n < min) throw new OptionError(option, `must be at least ${min}, got ${n}`);
  return n;
}

function tokenRange(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(value.trim());
  if (!m) throw new OptionError('--token-range', `expected FROM:TO (e.g. 1:50277), got "${value}"`);
  return [Number(m[1]), Number(m[2])];
}

export const command: Command = {
  name: 'influence',
  summary: 'influence graph of one checkpoint by ablating every head and MLP',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        prompts: { type: 'string' },
        task: { type: 'string' },
        'n-prompts': { type: 'string' },
        'half-len': { type: 'string' },
        'token-range': { type: 'string' },
        bos: { type: 'string' },
        ablation: { type: 'string' },
        measure: { type: 'string' },
        positions: { type: 'string' },
        'loss-positions': { type: 'string' },
        seed: { type: 'string' },
        bootstrap: { type: 'string' },
        'ci-level': { type: 'string' },
        'icl-window': { type: 'string' },
        plugin: { type: 'string', multiple: true },
        naive: { type: 'boolean' },
        workers: { type: 'string' },
        out: { type: 'string' },
        'per-prompt': { type: 'boolean' },
        quiet: { type: 'boolean' },
        backend: { type: 'string' },
      },
    });

    // Everything that needs no model is checked first, so a typo fails fast.
    if (!values.model) throw new OptionError('--model', 'required (a checkpoint folder)');
    if (!values.out) throw new OptionError('--out', 'required (the result JSON file)');
    checkOutputFile(values.out, '--out');
    const taskOptions = ['n-prompts', 'half-len', 'token-range', 'bos'] as const;
    if (values.prompts !== undefined) {
      if (values.task !== undefined) throw new OptionError('--task', 'give either --prompts FILE or --task, not both');
      const stray = taskOptions.find((o) => values[o] !== undefined);
      if (stray) throw new OptionError(`--${stray}`, 'only applies to --task induction, not to --prompts');
    }
    if (values.task !== undefined && values.task !== 'induction') throw new OptionError('--task', `unknown task "${values.task}" (known: induction)`);
    for (const file of values.plugin ?? []) await loadAblationPlugin(file);
    const ablation = getAblation(values.ablation ?? 'zero');
    const measure = parseMeasure(values.measure ?? 'cosine');
    const positions = parsePositions(values.positions ?? 'all', '--positions');
    const lossPositions = values['loss-positions'] === undefined ? undefined : parsePositions(values['loss-positions'], '--loss-positions');
    const seed = integer(values.seed, '--seed', 0) ?? 0;
    const resamples = integer(values.bootstrap, '--bootstrap', 0) ?? 1000;
    let level = 0.95;
    if (values['ci-level'] !== undefined) {
      level = Number(values['ci-level']);
      if (!(level > 0 && level < 1)) throw new OptionError('--ci-level', `must be a number in (0, 1), got "${values['ci-level']}"`);
    }
    const iclWindow = integer(values['icl-window'], '--icl-window', 1);
    const workers = integer(values.workers, '--workers', 1) ?? 1;
    if (values.naive && workers > 1) throw new OptionError('--workers', 'applies to the fast sweep only, not with --naive');
    const task: InductionTaskOptions = {
      nPrompts: integer(values['n-prompts'], '--n-prompts', 1),
      halfLen: integer(values['half-len'], '--half-len', 1),
      tokenRange: tokenRange(values['token-range']),
      bos: integer(values.bos, '--bos', 0),
      seed,
    };

    const backend = await initBackend({ backend: values.backend, quiet: values.quiet });
    // The size of the request, from config.json alone: refused before the weights are read.
    const request = values.prompts !== undefined ? { prompts: values.prompts } : { task };
    checkInfluenceRequest(request, readCheckpointConfig(values.model), { resamples, option: '--bootstrap' });
    const model = await NeoXModel.load(values.model);
    try {
      const { prompts, source } = requestPrompts(request, model);
      const progress = new Progress({ label: 'influence', total: model.config.numLayers * (model.config.numHeads + 1), unit: 'abl', quiet: values.quiet });
      let reported = 0;
      const options: InfluenceOptions = {
        ablation,
        measure,
        positions,
        lossPositions,
        seed,
        bootstrap: { resamples, level, seed },
        iclWindow,
        workers,
        onProgress: (done, _total, node) => {
          progress.tick(node, done - reported);
          reported = done;
        },
      };
      const sweep = values.naive ? naiveInfluenceSweep : influenceSweep;
      const result = await sweep(model, prompts, options);
      progress.finish(`${result.settings.seconds.toFixed(1)} s`);
      Object.assign(result.settings, { model: values.model, backend, ...source });
      await writeInfluenceJson(values.out, result, values['per-prompt'] ?? false);
      const edges = result.matrix.flat().filter((w) => w !== 0).length;
      if (!values.quiet) {
        process.stderr.write(`cntlens influence: wrote ${values.out} (${result.nodes.length} nodes, ${edges} edges, clean loss ${result.clean_loss.toFixed(4)})\n`);
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
