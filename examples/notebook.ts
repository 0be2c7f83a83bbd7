/**
 * A notebook-style session with cntlens, as a runnable script:
 *
 *   node --import tsx examples/notebook.ts [CHECKPOINT_DIR]
 *
 * Loads one checkpoint (default: the fixture model in test/fixtures/neox-tiny), reads a hook,
 * ablates a head by hand, sweeps the influence graph on induction prompts, computes its network
 * metrics and renders a one-checkpoint report into examples-output/.
 */
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph, graphFromInfluence, inductionPrompts, influenceSweep, initBackend, NeoXModel, writeReport } from '../lib/index.js';

await initBackend(); // wasm by default; prints the backend once

const dir = process.argv[2] ?? 'test/fixtures/neox-tiny';
const model = await NeoXModel.load(dir);
const { numLayers, numHeads, vocabSize } = model.config;
console.log(`${dir}: ${numLayers} layers × ${numHeads} heads, vocab ${vocabSize}`);

// 1. Read a hook: layer 1's attention pattern on one induction prompt [0] + R + R.
const prompts = inductionPrompts({ nPrompts: 4, halfLen: 10, seed: 0 }, vocabSize);
const clean = model.run([prompts[0]], { capture: ['blocks.1.attn.hook_pattern'] });
const pattern = clean.cache.get('blocks.1.attn.hook_pattern')!; // [batch, head, query, key]
console.log('attention pattern of layer 1:', pattern.shape);

// 2. Zero-ablate head L1H0 (its z before W_O) and see how far the last logits move.
const ablated = model.run([prompts[0]], { patches: [{ hook: 'blocks.1.attn.hook_z', heads: [0], value: 'zero' }] });
const shift = tf.tidy(() => tf.max(tf.abs(tf.sub(clean.logits!, ablated.logits!))).dataSync()[0]);
console.log(`largest logit change when L1H0 is ablated: ${shift.toFixed(4)}`);
tf.dispose([clean.logits!, ablated.logits!, ...clean.cache.values()]);

// 3. The influence graph: ablate every head and MLP, measure every downstream component.
const influence = await influenceSweep(model, prompts, { ablation: 'zero', measure: 'cosine' });
console.log(`clean loss ${influence.clean_loss.toFixed(3)}; strongest edge:`, strongestEdge(influence.nodes, influence.matrix));

// 4. Network metrics of that graph.
const metrics = analyzeGraph(graphFromInfluence(influence));
console.log('spreaders:', metrics.roles.spreaders.join(', '), '| gatherers:', metrics.roles.gatherers.join(', '));
console.log('modularity', metrics.graph.modularity?.toFixed(3), '| Gini of edge weights', metrics.graph.weights.gini?.toFixed(3));

// 5. Plot: the report renderer works on one checkpoint too (heatmap and layered graph).
const out = await writeReport(
  {
    title: `Influence graph of ${dir}`,
    settings: influence.settings,
    nodes: influence.nodes,
    checkpoints: [{ step: 0, name: dir, metrics: {}, matrix: influence.matrix, nodeMetrics: metrics.nodes as never, communities: metrics.graph.communities }],
  },
  'examples-output',
);
console.log('report:', out.html);
model.dispose();

function strongestEdge(nodes: string[], matrix: number[][]): string {
  let best = { w: -1, s: '', t: '' };
  matrix.forEach((row, i) => row.forEach((w, j) => { if (w > best.w) best = { w, s: nodes[i], t: nodes[j] }; }));
  return `${best.s} → ${best.t} (${best.w.toFixed(3)})`;
}
