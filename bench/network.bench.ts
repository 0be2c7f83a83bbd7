/**
 * lib/network on a Pythia-14M-sized component graph: 6 layers × (4 heads + MLP) = 30 components
 * plus LOGITS, every edge from a layer to each later layer and to LOGITS (parallel residual), with
 * lognormal weights. Prints the median and worst time of each metric and of the whole
 * analyzeGraph report (the `cntlens metrics` payload), warm, plus the first (cold) call; the
 * first row is the first call of anything in lib/network in this process.
 */
import { analyzeGraph } from '../lib/network/analyze.js';
import { betweenness } from '../lib/network/betweenness.js';
import { closeness } from '../lib/network/closeness.js';
import { clustering } from '../lib/network/clustering.js';
import { eigenvector } from '../lib/network/eigenvector.js';
import { exportGraph } from '../lib/network/export.js';
import { hits } from '../lib/network/hits.js';
import { graphFromInfluence } from '../lib/network/influence-graph.js';
import { katz } from '../lib/network/katz.js';
import { louvain } from '../lib/network/louvain.js';
import { headId, LOGITS_ID, mlpId } from '../lib/network/node-id.js';
import { pagerank } from '../lib/network/pagerank.js';
import { strengthAssortativity } from '../lib/network/assortativity.js';
import { weightDistribution } from '../lib/network/weight-distribution.js';
import { allowedEdges } from '../lib/network/null-models.js';
import { roleZScores } from '../lib/network/role-z.js';
import { Rng } from '../lib/util/rng.js';
import type { ComponentGraph } from '../lib/network/types.js';

const LAYERS = 6;
const HEADS = 4;
const REPEATS = 50;

export function pythia14mInfluence(seed = 14): { nodes: string[]; matrix: number[][] } {
  const rng = new Rng(seed);
  const nodes: string[] = [];
  const layerOf: number[] = [];
  for (let l = 0; l < LAYERS; l++) {
    for (let h = 0; h < HEADS; h++) {
      nodes.push(headId(l, h));
      layerOf.push(l);
    }
    nodes.push(mlpId(l));
    layerOf.push(l);
  }
  nodes.push(LOGITS_ID);
  layerOf.push(LAYERS);
  const matrix = nodes.map((_s, i) => nodes.map((_t, j) => (layerOf[j] > layerOf[i] ? Math.exp(-3 + rng.normal()) : 0)));
  return { nodes, matrix };
}

function time(fn: () => unknown): { cold: number; median: number; max: number } {
  const t0 = performance.now();
  fn();
  const cold = performance.now() - t0;
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { cold, median: samples[Math.floor(samples.length / 2)], max: samples[samples.length - 1] };
}

export async function run(): Promise<void> {
  const influence = pythia14mInfluence();
  const graph: ComponentGraph = graphFromInfluence(influence);
  const noLogits = graphFromInfluence(influence, { logits: 'drop' });
  process.stdout.write(`graph: ${graph.order} nodes, ${graph.size} edges (without LOGITS: ${noLogits.order} nodes, ${noLogits.size} edges); ${REPEATS} warm runs each\n\n`);
  // analyzeGraph first: its cold time is then a true first call (every module still unoptimised).
  const rows: [string, () => unknown][] = [
    ['analyzeGraph (30 nodes)', () => analyzeGraph(noLogits)],
    ['analyzeGraph (31 nodes)', () => analyzeGraph(graph)],
    ['graphFromInfluence', () => graphFromInfluence(influence)],
    ['pagerank', () => pagerank(graph)],
    ['hits', () => hits(graph)],
    ['betweenness', () => betweenness(graph)],
    ['closeness in+out', () => [closeness(graph, { direction: 'in' }), closeness(graph, { direction: 'out' })]],
    ['clustering', () => clustering(graph)],
    ['katz', () => katz(graph)],
    ['eigenvector (check)', () => eigenvector(graph)],
    ['assortativity', () => strengthAssortativity(graph)],
    ['louvain (32 restarts)', () => louvain(graph)],
    ['louvain (1 run)', () => louvain(graph, { restarts: 1 })],
    ['weight distribution', () => weightDistribution(graph)],
    ['export gexf', () => exportGraph(graph, 'gexf')],
    ['export graphml', () => exportGraph(graph, 'graphml')],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`${'step'.padEnd(width)}  ${'cold ms'.padStart(9)}  ${'median ms'.padStart(9)}  ${'max ms'.padStart(9)}\n`);
  for (const [name, fn] of rows) {
    const t = time(fn);
    process.stdout.write(`${name.padEnd(width)}  ${t.cold.toFixed(3).padStart(9)}  ${t.median.toFixed(3).padStart(9)}  ${t.max.toFixed(3).padStart(9)}\n`);
  }
  roleZBench();
}

// Structural null models (issue 12): roleZScores over a whole training run, 143 checkpoints
// (Pythia's checkpoint count) of the 31-node graph, 200 null draws each (the default), for both
// null kinds. What the run adds is the total; the issue asks for well under a minute.
const CHECKPOINTS = 143;

function roleZBench(): void {
  const checkpoints = Array.from({ length: CHECKPOINTS }, (_c, i) => pythia14mInfluence(1000 + i));
  const { nodes } = checkpoints[0];
  const allowed = allowedEdges(nodes, { parallelResidual: true });
  process.stdout.write(`\nroleZScores: ${CHECKPOINTS} checkpoints × 200 draws, ${nodes.length} nodes, ${allowed.length} allowed edges\n`);
  process.stdout.write(`${'kind'.padEnd(6)}  ${'total s'.padStart(9)}  ${'median ms'.padStart(9)}  ${'max ms'.padStart(9)}\n`);
  for (const kind of ['block', 'all'] as const) {
    const samples: number[] = [];
    const t0 = performance.now();
    for (const { matrix } of checkpoints) {
      const start = performance.now();
      roleZScores(matrix, allowed, { nodes, kind });
      samples.push(performance.now() - start);
    }
    const total = (performance.now() - t0) / 1000;
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)];
    process.stdout.write(`${kind.padEnd(6)}  ${total.toFixed(2).padStart(9)}  ${median.toFixed(1).padStart(9)}  ${samples[samples.length - 1].toFixed(1).padStart(9)}\n`);
  }
}
