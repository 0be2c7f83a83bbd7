/**
 * The cost of the findings (issue 12) at Pythia-14M scale: 143 checkpoints of the 31-node graph
 * (6 layers × (4 heads + MLP) + LOGITS, parallel residual, 405 allowed edges), 8 prompts of
 * per-prompt edge values, three phases; the whole `findings()` with its defaults, and its parts.
 */
import { findings, FINDINGS_DEFAULTS } from '../lib/findings/findings.js';
import { structureTest } from '../lib/findings/stability.js';
import { allowedEdges } from '../lib/network/null-models.js';
import { tailTests } from '../lib/network/tail-tests.js';
import { plantedRoles, syntheticSeries } from '../test/findings/synthetic.js';

function seconds(f: () => void): number {
  const start = performance.now();
  f();
  return (performance.now() - start) / 1000;
}

export async function run(): Promise<void> {
  const series = syntheticSeries({ checkpoints: 143, seed: 1, weight: plantedRoles(1) });
  const input = { ...series, parallelResidual: true, phases: { boundaries: [40, 100], warmup: 0, minSize: 3, labels: ['exploration', 'consolidation', 'refinement'] } };
  const allowed = allowedEdges(series.nodes, { parallelResidual: true });
  const rows: [string, number][] = [
    [`structure test, spreaders (${FINDINGS_DEFAULTS.nullDraws} null draws of 143 graphs)`, seconds(() => structureTest(series.matrices, series.nodes, allowed, 'spreader', { draws: FINDINGS_DEFAULTS.nullDraws }))],
    ['tail tests of 143 checkpoints (50 GoF draws each, as findings() does)', seconds(() => series.matrices.forEach((m) => tailTests(m.flat().filter((w) => w > 0), { draws: 50 })))],
    ['findings() without tails (both roles, 200 prompt resamples, junctures)', seconds(() => findings(input, { longTail: false }))],
    ['findings() with every default', seconds(() => findings(input))],
  ];
  for (const [name, s] of rows) process.stdout.write(`${name.padEnd(78)} ${s.toFixed(2).padStart(7)} s\n`);
}
