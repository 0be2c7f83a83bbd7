/**
 * `cntlens metrics`: complex-network metrics of one component graph (lib/network/analyze.ts),
 * from an edge list or from the influence matrix that `cntlens influence` writes.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { analyzeGraph } from '../../network/analyze.js';
import { DEFAULTS } from '../../network/defaults.js';
import { exportFormatOf, writeGraphExport } from '../../network/export.js';
import { readEdgeListGraph, readInfluenceGraph } from '../../network/read.js';
import type { BuildOptions } from '../../network/build.js';
import type { DistanceKind, NegativePolicy, Normalization, PruneSpec } from '../../network/types.js';
import { InputError, OptionError } from '../../util/errors.js';
import { checkOutputFiles, describeFsError, writeFileAtomic } from '../../util/files.js';

const usage = `Usage: cntlens metrics (--graph G.json | --influence I.json) [options]

Complex-network metrics of a component graph: per node strength, degree, PageRank, HITS,
betweenness, closeness, clustering, Katz, eigenvector; per graph density, total weight, strength
assortativity, clustering, Louvain communities and modularity, edge-weight distribution (Gini,
entropy, skewness, top-10% share, power-law tail); roles (spreaders, gatherers, gatekeepers).
Conventions follow networkx 2.8.8 (see docs/network.md).

Input (exactly one):
  --graph FILE           edge list {"nodes": [id...], "edges": [{"source","target","weight"}...]}
  --influence FILE       influence matrix written by \`cntlens influence\` (row = source, col = target)

Output:
  --out FILE             write the metrics JSON here (default: standard output)
  --export FILE          also write the graph; format from the extension: .gexf .graphml .json .csv
                         (repeatable)

Graph building (applied in this order):
  --drop-logits          drop the LOGITS sink node (default: keep it)
  --negative POLICY      negative weights: error | abs | drop (default ${DEFAULTS.build.negative})
  --prune-threshold X    keep edges with weight >= X
  --prune-percentile P   keep edges with weight >= the P-th percentile of all weights (0..100)
  --prune-top-k K        keep each node's K heaviest edges (see --prune-direction)
  --prune-direction D    out | in: which edges --prune-top-k ranks per node (default out)
  --normalize MODE       none | max | sum: divide weights by the maximum or the total (default ${DEFAULTS.build.normalize})

Metrics:
  --distance KIND        edge length for betweenness/closeness: inverse (1/w) | neglog (-ln(w/max))
                         (default ${DEFAULTS.distance})
  --roles-k K            size of each role list (default ${DEFAULTS.roles.k})
  --seed N               Louvain seed (default ${DEFAULTS.louvain.seed})
  --louvain-restarts N   Louvain runs, best modularity kept (default ${DEFAULTS.louvain.restarts})
`;

export const command: Command = {
  name: 'metrics',
  summary: 'complex-network metrics of a component graph (edge list or influence matrix)',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        graph: { type: 'string' },
        influence: { type: 'string' },
        out: { type: 'string' },
        export: { type: 'string', multiple: true },
        'drop-logits': { type: 'boolean' },
        negative: { type: 'string' },
        'prune-threshold': { type: 'string' },
        'prune-percentile': { type: 'string' },
        'prune-top-k': { type: 'string' },
        'prune-direction': { type: 'string' },
        normalize: { type: 'string' },
        distance: { type: 'string' },
        'roles-k': { type: 'string' },
        seed: { type: 'string' },
        'louvain-restarts': { type: 'string' },
      },
    });

    if ((values.graph === undefined) === (values.influence === undefined)) {
      throw new OptionError('--graph/--influence', 'give exactly one input: --graph G.json or --influence I.json');
    }
    const exports = values.export ?? [];
    for (const file of exports) exportFormatOf(file); // refuse a bad extension before any work
    // Every output path before any work, so that a bad one does not leave the others written.
    checkOutputFiles([...exports.map((file) => ({ file, option: '--export' })), ...(values.out !== undefined ? [{ file: values.out, option: '--out' }] : [])]);

    const build: BuildOptions = {
      logits: values['drop-logits'] ? 'drop' : 'keep',
      negative: oneOf<NegativePolicy>('--negative', values.negative, ['error', 'abs', 'drop'], DEFAULTS.build.negative),
      normalize: oneOf<Normalization>('--normalize', values.normalize, ['none', 'max', 'sum'], DEFAULTS.build.normalize),
      prune: pruneFrom(values),
    };
    const graph = values.graph !== undefined ? readEdgeListGraph(values.graph, build) : readInfluenceGraph(values.influence!, build);

    const report = analyzeGraph(graph, {
      distance: oneOf<DistanceKind>('--distance', values.distance, ['inverse', 'neglog'], DEFAULTS.distance),
      roles: { k: numberOption('--roles-k', values['roles-k'], { integer: true, min: 1 }) },
      louvain: {
        seed: numberOption('--seed', values.seed, { integer: true, min: 0 }),
        restarts: numberOption('--louvain-restarts', values['louvain-restarts'], { integer: true, min: 1 }),
      },
    });

    const text = JSON.stringify(report, null, 2) + '\n';
    for (const file of exports) await writing(file, () => writeGraphExport(graph, file));
    if (values.out !== undefined) await writing(values.out, () => writeFileAtomic(values.out!, text));
    else process.stdout.write(text);
    return 0;
  },
};

/** A file-system failure while writing an output names the file (InputError), not a stack trace. */
async function writing(file: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException)?.code === 'string') throw new InputError(file, `cannot write: ${describeFsError(err)}`);
    throw err;
  }
}

function pruneFrom(values: Record<string, string | boolean | string[] | undefined>): PruneSpec | null {
  const given = (['prune-threshold', 'prune-percentile', 'prune-top-k'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new OptionError(`--${given[1]}`, `only one pruning rule at a time (also given: --${given[0]})`);
  const direction = oneOf<'out' | 'in'>('--prune-direction', values['prune-direction'] as string | undefined, ['out', 'in'], 'out');
  if (values['prune-direction'] !== undefined && given[0] !== 'prune-top-k') {
    throw new OptionError('--prune-direction', 'only applies with --prune-top-k');
  }
  switch (given[0]) {
    case 'prune-threshold':
      return { kind: 'threshold', value: numberOption('--prune-threshold', values[given[0]] as string, { min: 0 })! };
    case 'prune-percentile':
      return { kind: 'percentile', value: numberOption('--prune-percentile', values[given[0]] as string, { min: 0, max: 100 })! };
    case 'prune-top-k':
      return { kind: 'top-k', k: numberOption('--prune-top-k', values[given[0]] as string, { integer: true, min: 1 })!, direction };
    default:
      return null;
  }
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new OptionError(flag, `expected one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

function numberOption(flag: string, text: string | undefined, rule: { integer?: boolean; min?: number; max?: number }): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(value) && (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) && (rule.max === undefined || value <= rule.max);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = [rule.min !== undefined ? `>= ${rule.min}` : '', rule.max !== undefined ? `<= ${rule.max}` : ''].filter(Boolean).join(' and ');
    throw new OptionError(flag, `expected ${kind}${range ? ' ' + range : ''}, got "${text}"`);
  }
  return value;
}
