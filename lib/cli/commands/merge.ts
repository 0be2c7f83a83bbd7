/**
 * `cntlens merge DIR`: the series stage (phases, roles, report) over results that
 * `cntlens experiment --shard K/N` runs wrote into DIR.
 */
import { parseArgs } from 'node:util';
import { mergeResults } from '../../experiment/pipeline.js';
import { OptionError } from '../../util/errors.js';
import type { Command } from '../main.js';

const usage = `Usage: cntlens merge DIR [--quiet]

Completes an experiment whose checkpoints were processed by shards (cntlens experiment --shard K/N
--out DIR): reads DIR/plan.json and every checkpoint's results, then writes metrics.csv,
nodes.csv, phases.json, report.html, the figures and manifest.json. If some checkpoint has no
results yet (a shard still running or lost), it says which and exits 1 without writing.
`;

export const command: Command = {
  name: 'merge',
  summary: 'finish a sharded experiment: phases, roles and report over all shards',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { quiet: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new OptionError('DIR', 'give exactly one results folder');
    await mergeResults(positionals[0], { quiet: values.quiet ?? false });
    return 0;
  },
};
