import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../lib/model/backend.js';
import type { NeoXModel } from '../../lib/model/neox.js';
import { influenceSweep } from '../../lib/ablation/sweep.js';
import { naiveInfluenceSweep } from '../../lib/ablation/naive.js';
import { runWithAblations } from '../../lib/ablation/ablate.js';
import type { InfluenceOptions } from '../../lib/ablation/plan.js';
import type { InfluenceResult } from '../../lib/ablation/result.js';
import { inductionPrompts } from '../../lib/ablation/tasks.js';
import { fileURLToPath } from 'node:url';
import { loadAblationPlugin } from '../../lib/ablation/plugins.js';
import { unregisterAblation } from '../../lib/ablation/registry.js';
import { FIXTURES, goldenPrompts, maxAbsDiff, parseName, readGolden, tinyModels } from './helpers.js';

describe('influence sweep on neox-tiny', function () {
  this.timeout(300000);
  let parallel: NeoXModel;
  let sequential: NeoXModel;
  let prompts: number[][];

  before(async () => {
    await initBackend({ quiet: true });
    ({ parallel, sequential } = await tinyModels());
    prompts = goldenPrompts();
  });

  after(() => {
    parallel.dispose();
  });

  it('reproduces the independent PyTorch golden within 1e-4 (matrix, delta_loss, clean loss)', async () => {
    const golden = readGolden();
    const result = await influenceSweep(parallel, prompts, { lossPositions: '10:20' });
    expect(result.nodes).to.deep.equal(golden.nodes);
    expect(maxAbsDiff(result.matrix, golden.matrix)).to.be.below(1e-4);
    for (const [node, value] of Object.entries(golden.delta_loss)) expect(result.delta_loss[node]).to.be.closeTo(value, 1e-4);
    expect(Object.keys(result.delta_loss)).to.have.length(Object.keys(golden.delta_loss).length);
    expect(result.clean_loss).to.be.closeTo(golden.clean_loss, 1e-4);
  });

  const cases: InfluenceOptions[] = [
    {},
    { measure: 'relative_l2', ablation: 'noise', positions: '11:', seed: 4 },
    { measure: 'kl', ablation: 'resample', positions: '5:21', lossPositions: '0:20' },
    { ablation: 'mean', positions: '3:9', lossPositions: '2:12' },
  ];
  for (const residual of ['parallel', 'sequential'] as const) {
    for (const options of cases) {
      it(`fast sweep equals the naive one within 1e-5 (${residual} residual, ${JSON.stringify(options)})`, async () => {
        const model = residual === 'parallel' ? parallel : sequential;
        const fast = await influenceSweep(model, prompts, options);
        const naive = await naiveInfluenceSweep(model, prompts, options);
        expect(maxAbsDiff(fast.matrix, naive.matrix)).to.be.below(1e-5);
        expect(maxAbsDiff(fast.ci_low, naive.ci_low)).to.be.below(1e-5);
        expect(maxAbsDiff(fast.ci_high, naive.ci_high)).to.be.below(1e-5);
        for (const node of Object.keys(naive.delta_loss)) expect(fast.delta_loss[node]).to.be.closeTo(naive.delta_loss[node], 1e-5);
        expect(fast.clean_loss).to.be.closeTo(naive.clean_loss, 1e-5);
        expect(maxAbsDiff(fast.behaviour!.induction_scores, naive.behaviour!.induction_scores)).to.be.below(1e-6);
        expect(fast.behaviour!.icl_score).to.be.closeTo(naive.behaviour!.icl_score, 1e-5);
        // something was measured: every possible edge has weight (random weights, no symmetry)
        const edges = fast.matrix.flat().filter((w) => w > 0).length;
        expect(edges).to.be.greaterThan(options.measure === 'kl' ? 14 : 89);
      });
    }
  }

  function expectExactZerosOffEdges(result: InfluenceResult, parallelResidual: boolean): void {
    result.nodes.forEach((source, i) => result.nodes.forEach((target, j) => {
      const s = parseName(source);
      const t = parseName(target);
      const edge = s.kind !== 'logits' && (t.layer > s.layer || (!parallelResidual && s.kind === 'head' && t.kind === 'mlp' && t.layer === s.layer));
      if (edge) {
        expect(result.matrix[i][j], `${source}→${target}`).to.be.greaterThan(0);
      } else {
        expect(result.matrix[i][j], `${source}→${target}`).to.equal(0);
        expect(result.ci_low[i][j]).to.equal(0);
        expect(result.ci_high[i][j]).to.equal(0);
      }
    }));
  }

  it('has weights exactly where an edge can exist and exact zeros elsewhere', async () => {
    expectExactZerosOffEdges(await influenceSweep(parallel, prompts), true);
    const seq = await influenceSweep(sequential, prompts);
    expectExactZerosOffEdges(seq, false);
    const l1mlp = seq.nodes.indexOf('L1MLP');
    expect(seq.matrix[seq.nodes.indexOf('L1H2')][l1mlp]).to.be.greaterThan(0);
    expect(seq.matrix[seq.nodes.indexOf('L1H2')][seq.nodes.indexOf('L1H3')]).to.equal(0);
  });

  it('computes the LOGITS column through the Gram matrix as explicit logits would (within 1e-5)', async () => {
    const result = await influenceSweep(parallel, prompts, { positions: '4:21' });
    const B = prompts.length;
    const V = parallel.config.vocabSize;
    const clean = parallel.run(prompts, { logits: 'all' });
    const cleanLogits = clean.logits!.dataSync();
    clean.logits!.dispose();
    const col = result.nodes.indexOf('LOGITS');
    for (const [i, name] of result.nodes.entries()) {
      if (name === 'LOGITS') continue;
      const n = parseName(name);
      const patch = n.kind === 'head'
        ? { hook: `blocks.${n.layer}.attn.hook_result`, heads: [n.head], value: 'zero' as const }
        : { hook: `blocks.${n.layer}.hook_mlp_out`, value: 'zero' as const };
      const ablated = parallel.run(prompts, { patches: [patch], logits: 'all' });
      const logits = ablated.logits!.dataSync();
      ablated.logits!.dispose();
      let total = 0;
      for (let b = 0; b < B; b++) {
        for (let p = 4; p < 21; p++) {
          let dot = 0, na = 0, nb = 0;
          for (let v = 0; v < V; v++) {
            const x = cleanLogits[(b * 21 + p) * V + v];
            const y = logits[(b * 21 + p) * V + v];
            dot += x * y; na += x * x; nb += y * y;
          }
          total += 1 - dot / Math.sqrt(na * nb);
        }
      }
      expect(result.matrix[i][col], name).to.be.closeTo(total / (B * 17), 1e-5);
    }
  });

  it('zero-ablation logits equal the fixtures\' ablated logits (abs 1e-4 + rel 1e-4)', () => {
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'neox-tiny/expected.json'), 'utf8')) as {
      inputs: { input_ids: number[][] };
      ablations: { name: string; logits: { shape: number[]; data: number[] } }[];
    };
    const ids = expected.inputs.input_ids;
    let checked = 0;
    for (const ablation of expected.ablations) {
      if (ablation.name.includes('ATTN')) continue; // whole attention incl. bias: not a graph node
      const { logits } = runWithAblations(parallel, ids, ablation.name.split('+'));
      const got = logits!.dataSync();
      expect(logits!.shape).to.deep.equal(ablation.logits.shape);
      logits!.dispose();
      ablation.logits.data.forEach((want, k) => {
        expect(Math.abs(got[k] - want), `${ablation.name}[${k}]`).to.be.at.most(1e-4 + 1e-4 * Math.abs(want));
      });
      checked++;
    }
    expect(checked).to.equal(4); // L1H0, L0MLP, L2H3, L0H2+L1MLP
  });

  it('does not depend on how many ablations share a pass (noise seeded per component)', async () => {
    for (const ablation of ['zero', 'noise']) {
      const stacked = await influenceSweep(parallel, prompts, { ablation, seed: 2 });
      const single = await influenceSweep(parallel, prompts, { ablation, seed: 2, maxStack: 1 });
      const two = await influenceSweep(parallel, prompts, { ablation, seed: 2, maxStack: 2 });
      expect(maxAbsDiff(stacked.matrix, single.matrix)).to.be.below(1e-6);
      expect(maxAbsDiff(stacked.matrix, two.matrix)).to.be.below(1e-6);
      for (const node of Object.keys(single.delta_loss)) expect(stacked.delta_loss[node]).to.be.closeTo(single.delta_loss[node], 1e-6);
    }
  });

  it('keeps per-prompt values consistent with the matrix and its intervals', async () => {
    const result = await influenceSweep(parallel, prompts, { bootstrap: { resamples: 300 } });
    const perPrompt = result.per_prompt!;
    result.matrix.forEach((row, i) => row.forEach((w, j) => {
      const values = perPrompt.edges[i][j];
      if (w === 0) return expect(values).to.equal(null);
      expect(values).to.have.length(prompts.length);
      expect(w).to.be.closeTo(values!.reduce((a, b) => a + b) / values!.length, 1e-12);
      expect(result.ci_low[i][j]).to.be.at.most(w + 1e-12);
      expect(result.ci_high[i][j]).to.be.at.least(w - 1e-12);
      expect(result.ci_low[i][j]).to.be.at.least(Math.min(...values!) - 1e-12);
      expect(result.ci_high[i][j]).to.be.at.most(Math.max(...values!) + 1e-12);
    }));
    for (const [node, d] of Object.entries(result.delta_loss)) {
      const [lo, hi] = result.delta_loss_ci[node];
      expect(lo).to.be.at.most(d + 1e-12);
      expect(hi).to.be.at.least(d - 1e-12);
    }
  });

  it('reports induction behaviour and defaults the loss to the repeated half', async () => {
    const induction = inductionPrompts({ nPrompts: 3, halfLen: 6, seed: 1 }, parallel.config.vocabSize);
    const result = await influenceSweep(parallel, induction, { bootstrap: { resamples: 50 } });
    expect(result.settings.loss_positions).to.equal('6:12');
    expect(result.behaviour!.half_len).to.equal(6);
    expect(result.behaviour!.repeat_loss).to.be.closeTo(result.clean_loss, 1e-12);
    expect(result.behaviour!.induction_scores).to.have.length(3);
    expect(result.behaviour!.prev_token_scores[0]).to.have.length(4);
    const plain = await influenceSweep(parallel, [[1, 2, 3, 4], [5, 6, 7, 8]], { bootstrap: { resamples: 50 } });
    expect(plain.behaviour).to.equal(null);
    expect(plain.settings.loss_positions).to.equal('0:3');
  });

  it('gives the same result in worker threads, plug-in ablations included', async () => {
    const options: InfluenceOptions = { ablation: 'noise', seed: 3, lossPositions: '10:20', bootstrap: { resamples: 100 } };
    const here = await influenceSweep(parallel, prompts, options);
    const progress: number[] = [];
    const threads = await influenceSweep(parallel, prompts, { ...options, workers: 2, onProgress: (done) => progress.push(done) });
    expect(threads.matrix).to.deep.equal(here.matrix);
    expect(threads.delta_loss).to.deep.equal(here.delta_loss);
    expect(threads.clean_loss).to.equal(here.clean_loss);
    expect(threads.behaviour).to.deep.equal(here.behaviour);
    expect(progress[progress.length - 1]).to.equal(15);

    await loadAblationPlugin(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/keep-ablation.ts'));
    try {
      const keep = await influenceSweep(parallel, prompts, { ablation: 'keep', workers: 2, bootstrap: { resamples: 10 } });
      for (const row of keep.matrix) for (const w of row) expect(Math.abs(w)).to.be.below(1e-5);
    } finally {
      unregisterAblation('keep');
    }
  });

  it('leaves the number of live tensors unchanged', async () => {
    await influenceSweep(parallel, prompts, { measure: 'kl' });
    const before = tf.memory().numTensors;
    for (const options of [{}, { measure: 'kl' }, { measure: 'relative_l2', ablation: 'mean' }] as InfluenceOptions[]) {
      await influenceSweep(parallel, prompts, options);
      await naiveInfluenceSweep(sequential, prompts, options);
      runWithAblations(parallel, prompts, ['L0H1', 'L2MLP'], { logits: 'none' });
    }
    expect(tf.memory().numTensors).to.equal(before);
  });
});
