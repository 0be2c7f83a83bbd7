/**
 * `cntlens analyze`: the experiment's series stage alone, on a folder of influence files (see
 * lib/experiment/analyze.ts).
 */
import { parseArgs } from 'node:util';
import { analyzeInfluence } from '../../experiment/analyze.js';
import { checkExperimentConfig, DEFAULT_EXPERIMENT_CONFIG, readExperimentConfig, resolveExperimentConfig, type ExperimentConfig } from '../../experiment/config.js';
import { OptionError } from '../../util/errors.js';
import type { Command } from '../main.js';
import { phaseFlagLayers } from '../settings-flags.js';

const d = DEFAULT_EXPERIMENT_CONFIG;
const usage = `Usage: cntlens analyze --influence DIR --out RESULTS [--config FILE.json] [options]

The series stage of \`cntlens experiment\` alone, on a folder of influence files (as
\`cntlens influence\` writes them, or an experiment's RESULTS/influence/), one per checkpoint: per
file the influence graph, its network metrics and the behaviour metrics (and, when the files hold
per-prompt values, the prompt-bootstrap replicates), then learning phases, roles, communities, the
findings (the study's claims as tested statistics, docs/findings.md) and the report. No
checkpoint is loaded and no sweep is run: re-analyse with other settings, or analyse a synthetic
influence series.

DIR: every *.json in it is one checkpoint; its step is "settings.step" of the file, else N of a
step<N>.json name. The files must have the same nodes, and at least 3 distinct steps.

Writes into RESULTS: metrics.csv, nodes.csv, phases.json, report.html, figures/,
graphs/<step>.gexf, manifest.json. Any bad input stops with one line naming the file, before
anything is written.

Options:
  --influence DIR       the folder of influence files (required)
  --out RESULTS         the results folder (required; not an experiment's own results folder)
  --config FILE.json    an experiment config: its graph, phases, findings and report sections
                        apply (the others are checked but do not matter here)
  --phase-model M       phases as regimes with their own line per metric (linear, default) or
                        their own level (constant)
  --warmup N|auto       learning-rate warm-up steps left out of the phase search (default auto,
                        which is 0 here: no training is known)
  --penalty X           change-point penalty (default: computed from n, d and the model)
  --min-size N          minimum checkpoints per phase (default ${d.phases.minSize})
  --no-figures          skip the static SVG/PNG figures
  --quiet               no progress bars or summary
`;

export const command: Command = {
  name: 'analyze',
  summary: 'the series stage alone (metrics, phases, roles, findings, report) on a folder of influence files',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        influence: { type: 'string' },
        out: { type: 'string' },
        config: { type: 'string' },
        'phase-model': { type: 'string' },
        warmup: { type: 'string' },
        penalty: { type: 'string' },
        'min-size': { type: 'string' },
        'no-figures': { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
    });
    if (values.influence === undefined) throw new OptionError('--influence', 'give the folder of influence files: --influence DIR');
    if (values.out === undefined) throw new OptionError('--out', 'give the results folder: --out RESULTS');
    const base: ExperimentConfig = values.config ? readExperimentConfig(values.config) : DEFAULT_EXPERIMENT_CONFIG;
    let config = base;
    for (const [flag, value, layer] of phaseFlagLayers(values)) if (value !== undefined) config = resolveExperimentConfig(layer(value as never), flag, config);
    checkExperimentConfig(config);
    await analyzeInfluence({
      influenceDir: values.influence,
      out: values.out,
      settings: { graph: config.graph, phases: config.phases, findings: config.findings, report: config.report },
      quiet: values.quiet ?? false,
    });
    return 0;
  },
};
