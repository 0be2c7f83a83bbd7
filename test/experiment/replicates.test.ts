/**
 * Bootstrap replicates of the detection metrics (lib/experiment/replicates.ts): the per-prompt
 * behaviour values the sweep now keeps, the identity resample reproducing a checkpoint's own
 * metrics, seeded draws shared by every checkpoint, the replicates/<step>.json files of the
 * pipeline and the `replicates` field of the phases' input.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bootstrapCounts } from '../../lib/ablation/bootstrap.js';
import { naiveInfluenceSweep } from '../../lib/ablation/naive.js';
import type { InfluenceResult } from '../../lib/ablation/result.js';
import { influenceSweep } from '../../lib/ablation/sweep.js';
import { inductionBehaviour, inductionBehaviourPerPrompt, inductionPrompts } from '../../lib/ablation/tasks.js';
import { buildRecord, sweepOptions, type CheckpointTask } from '../../lib/experiment/checkpoint-task.js';
import { resolveExperimentConfig, type ExperimentConfig } from '../../lib/experiment/config.js';
import { DETECTION_COLUMNS } from '../../lib/experiment/metrics.js';
import { runExperiment } from '../../lib/experiment/pipeline.js';
import { influenceFile, readRecord, recordFile, replicatesFile, type CheckpointRecord } from '../../lib/experiment/records.js';
import {
  attachReplicates, computeReplicates, perPromptValues, readCurrentReplicates, replicatesJson, resampledMatrix, resampledMetrics,
  type PerPromptValues, type ReplicatesFile,
} from '../../lib/experiment/replicates.js';
import { metricsRow, seriesInput } from '../../lib/experiment/series.js';
import { initBackend } from '../../lib/model/backend.js';
import { NeoXModel } from '../../lib/model/neox.js';
import { Rng } from '../../lib/util/rng.js';
import { fastExperimentSettings, FIXTURE_DIR, makeCheckpointSeries, tempDir } from './helpers.js';

const KEY = { checkpoint: 'c'.repeat(64), settings: 's'.repeat(64) };

/** |a − b| within `tol` (relative for large values); NaN only matches NaN. */
function close(a: number, b: number, tol = 1e-12): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/** A record's detection metrics, NaN where null (as the phases' input has them). */
function originalRow(record: CheckpointRecord): Record<string, number> {
  const row = metricsRow(record);
  return Object.fromEntries(DETECTION_COLUMNS.map((name) => [name, row[name] ?? NaN]));
}

function config(overrides: Record<string, unknown> = {}): ExperimentConfig {
  return resolveExperimentConfig(fastExperimentSettings(overrides), 'test');
}

describe('experiment: bootstrap replicates of the detection metrics', function () {
  this.timeout(600_000);
  let model: NeoXModel;
  let prompts: number[][];
  let settings: ExperimentConfig;
  let influence: InfluenceResult;
  let record: CheckpointRecord;

  before(async () => {
    await initBackend({ backend: 'wasm', quiet: true });
    model = await NeoXModel.load(FIXTURE_DIR);
    settings = config({ task: { nPrompts: 5, halfLen: 8, seed: 3 }, phases: { bootstrap: { replicates: 20, seed: 4 } } });
    prompts = inductionPrompts({ nPrompts: 5, halfLen: 8, seed: 3 }, model.config.vocabSize);
    influence = await influenceSweep(model, prompts, sweepOptions(settings));
    record = buildRecord({ name: 'step0', step: 0, dir: FIXTURE_DIR, key: KEY, prompts }, influence, settings);
  });
  after(() => model?.dispose());

  describe('per-prompt behaviour in the influence result', () => {
    it('inductionBehaviourPerPrompt: each prompt alone, so the means are inductionBehaviour\'s values', () => {
      const rng = new Rng(11);
      const dims = { batch: 3, heads: 2, seqLen: 11 };
      const n = 5;
      const ce = Array.from({ length: 3 }, () => Array.from({ length: 11 }, () => rng.uniform() * 4));
      const patterns = [0, 1].map(() => Float32Array.from({ length: 3 * 2 * 11 * 11 }, () => rng.uniform()));
      const all = inductionBehaviour((b, p) => ce[b][p], patterns, dims, n, 2);
      const per = inductionBehaviourPerPrompt((b, p) => ce[b][p], patterns, dims, n, 2);
      const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
      expect(mean(per.repeat_loss)).to.be.closeTo(all.repeat_loss, 1e-12);
      expect(mean(per.icl_score)).to.be.closeTo(all.icl_score, 1e-12);
      // Prompt 1 alone, from the definitions.
      expect(per.repeat_loss[1]).to.be.closeTo(mean(ce[1].slice(5, 10)), 1e-12);
      expect(per.icl_score[1]).to.be.closeTo(mean(ce[1].slice(8, 10)) - mean(ce[1].slice(5, 7)), 1e-12);
      const at = (l: number, b: number, h: number, q: number, k: number): number => patterns[l][((b * 2 + h) * 11 + q) * 11 + k];
      expect(per.induction_scores[1][0][2]).to.be.closeTo(mean([6, 7, 8, 9, 10].map((q) => at(1, 2, 0, q, q - 4))), 1e-7);
      per.induction_scores.forEach((layer, l) => layer.forEach((v, h) => expect(mean(v)).to.be.closeTo(all.induction_scores[l][h], 1e-12)));
    });

    it('is the behaviour on each prompt alone: its means over the prompts are the aggregate values', async () => {
      const check = (result: InfluenceResult): void => {
        const b = result.behaviour!;
        const per = result.per_prompt!.behaviour!;
        const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
        expect(per.repeat_loss).to.have.length(prompts.length);
        expect(per.icl_score).to.have.length(prompts.length);
        expect(mean(per.repeat_loss)).to.be.closeTo(b.repeat_loss, 1e-12);
        expect(mean(per.icl_score)).to.be.closeTo(b.icl_score, 1e-12);
        expect(per.induction_scores).to.have.length(model.config.numLayers);
        per.induction_scores.forEach((layer, l) => {
          expect(layer).to.have.length(model.config.numHeads);
          layer.forEach((values, h) => {
            expect(values).to.have.length(prompts.length);
            expect(mean(values)).to.be.closeTo(b.induction_scores[l][h], 1e-12);
          });
        });
        // The prompts differ, and so do their values.
        expect(new Set(per.repeat_loss).size).to.equal(prompts.length);
      };
      check(influence);
      check(await naiveInfluenceSweep(model, prompts, sweepOptions(settings)));
      const threads = await influenceSweep(model, prompts, { ...sweepOptions(settings), workers: 2 });
      expect(threads.per_prompt!.behaviour).to.deep.equal(influence.per_prompt!.behaviour);
    });

    it('is absent where there is no behaviour (prompts without the induction form)', async () => {
      const plain = await influenceSweep(model, [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], { bootstrap: { resamples: 10 } });
      expect(plain.behaviour).to.equal(null);
      expect(plain.per_prompt).to.not.have.property('behaviour');
      // Without per-prompt behaviour to miss, the graph metrics still have replicates; the behaviour ones are NaN.
      const reps = computeReplicates(plain, settings)!;
      expect(reps.loss_repeated.every(Number.isNaN)).to.equal(true);
      expect(reps.induction_score_max.every(Number.isNaN)).to.equal(true);
      expect(reps.density.every(Number.isFinite)).to.equal(true);
    });
  });

  describe('the identity resample (every prompt once)', () => {
    const identity = (n: number): Uint16Array => new Uint16Array(n).fill(1);

    it('reproduces the mean influence matrix exactly', () => {
      const values = perPromptValues(influence) as PerPromptValues;
      expect(resampledMatrix(values.edges, identity(prompts.length))).to.deep.equal(influence.matrix);
    });

    it('reproduces every detection metric of the record (to 1e-12), in memory and from the influence file', () => {
      const want = originalRow(record);
      expect(Object.values(want).filter(Number.isFinite)).to.have.length.at.least(DETECTION_COLUMNS.length - 1);
      const fromFile = JSON.parse(JSON.stringify(influence)) as InfluenceResult;
      for (const source of [influence, fromFile]) {
        const got = resampledMetrics(perPromptValues(source) as PerPromptValues, identity(prompts.length), settings);
        expect(Object.keys(got)).to.deep.equal([...DETECTION_COLUMNS]);
        for (const name of DETECTION_COLUMNS) expect(close(got[name], want[name]), `${name}: ${got[name]} vs ${want[name]}`).to.equal(true);
      }
    });

    it('does so under other graph settings and on other checkpoints (sequential residual, logits dropped, max-normalised)', async () => {
      const tmp = tempDir('replicates-identity');
      try {
        const [dir] = makeCheckpointSeries(tmp.dir, 2, { steps: [0, 1000] }).slice(1);
        const other = await NeoXModel.load(dir);
        const sequential = new NeoXModel({ ...other.config, useParallelResidual: false }, other.params);
        try {
          for (const [m, graph] of [[other, { logits: 'drop', normalize: 'max' }], [sequential, { distance: 'neglog', louvainSeed: 5 }]] as const) {
            const s = config({ graph, task: { nPrompts: 3, halfLen: 6, seed: 1 }, influence: { measure: 'relative_l2' } });
            const p = inductionPrompts({ nPrompts: 3, halfLen: 6, seed: 1 }, m.config.vocabSize);
            const inf = await influenceSweep(m, p, sweepOptions(s));
            const want = originalRow(buildRecord({ name: 'x', step: 1000, dir, key: KEY, prompts: p } satisfies CheckpointTask, inf, s));
            const got = resampledMetrics(perPromptValues(inf) as PerPromptValues, identity(p.length), s);
            for (const name of DETECTION_COLUMNS) expect(close(got[name], want[name]), `${name}: ${got[name]} vs ${want[name]}`).to.equal(true);
          }
        } finally {
          other.dispose();
        }
      } finally {
        tmp.cleanup();
      }
    });
  });

  describe('computeReplicates', () => {
    it('gives R values per detection metric, seeded, scattered around the original', () => {
      const a = computeReplicates(influence, settings)!;
      const b = computeReplicates(JSON.parse(JSON.stringify(influence)) as InfluenceResult, settings)!;
      expect(a).to.deep.equal(b);
      expect(Object.keys(a)).to.deep.equal([...DETECTION_COLUMNS]);
      for (const name of DETECTION_COLUMNS) expect(a[name], name).to.have.length(20);
      const want = originalRow(record);
      for (const name of ['loss_repeated', 'icl_score', 'density', 'total_weight', 'gini'] as const) {
        const v = a[name];
        expect(Math.min(...v), name).to.be.at.most(want[name] + 1e-12);
        expect(Math.max(...v), name).to.be.at.least(want[name] - 1e-12);
      }
      expect(new Set(a.total_weight).size, 'resamples differ').to.be.greaterThan(1);
      const other = computeReplicates(influence, { ...settings, phases: { ...settings.phases, bootstrap: { replicates: 20, seed: 5 } } })!;
      expect(other.total_weight).to.not.deep.equal(a.total_weight);
    });

    it('resample r is the same draw of prompts at every checkpoint', () => {
      // Two "checkpoints" whose per-prompt values are b and 10·b + 1: replicate r of the second must
      // be 10 × replicate r of the first + 1, whatever the draw.
      const B = 6;
      const at = (f: (b: number) => number): PerPromptValues => ({
        nodes: ['L0H0', 'L0MLP', 'LOGITS'],
        edges: [[null, null, Array.from({ length: B }, (_, b) => f(b) + 1)], [null, null, Array.from({ length: B }, (_, b) => 2 * f(b) + 1)], [null, null, null]],
        behaviour: { repeat_loss: Array.from({ length: B }, (_, b) => f(b)), icl_score: Array.from({ length: B }, (_, b) => -f(b)), induction_scores: [[Array.from({ length: B }, (_, b) => f(b))]] },
        prompts: B,
      });
      const toSource = (v: PerPromptValues): Parameters<typeof computeReplicates>[0] => ({
        nodes: v.nodes,
        behaviour: { task: 'induction', half_len: 1, repeat_loss: 0, icl_score: 0, icl_window: 1, induction_scores: [[0]], prev_token_scores: [[0]] },
        per_prompt: { edges: v.edges, delta_loss: {}, clean_loss: new Array<number>(B).fill(0), behaviour: v.behaviour! },
      });
      const s = { ...settings, phases: { ...settings.phases, bootstrap: { replicates: 30, seed: 9 } } };
      const first = computeReplicates(toSource(at((b) => b)), s)!;
      const second = computeReplicates(toSource(at((b) => 10 * b + 1)), s)!;
      const counts = bootstrapCounts(B, 30, 9);
      first.loss_repeated.forEach((x, r) => {
        expect(second.loss_repeated[r]).to.be.closeTo(10 * x + 1, 1e-12);
        expect(x).to.be.closeTo(counts[r].reduce((sum, c, b) => sum + c * b, 0) / B, 1e-12);
        expect(first.induction_score_max[r]).to.equal(x);
        expect(first.icl_score[r]).to.equal(-x);
        expect(first.total_weight[r]).to.be.closeTo(3 * x + 2, 1e-12);
      });
    });

    it('gives none without per-prompt values, or with behaviour but no per-prompt behaviour (older influence files)', () => {
      const { per_prompt: _dropped, ...noPerPrompt } = influence;
      expect(computeReplicates(noPerPrompt, settings)).to.equal(null);
      expect(perPromptValues(noPerPrompt)).to.have.property('missing').that.matches(/per_prompt/);
      const { behaviour: _b, ...perNoBehaviour } = influence.per_prompt!;
      expect(computeReplicates({ ...influence, per_prompt: perNoBehaviour }, settings)).to.equal(null);
      expect(computeReplicates(influence, { ...settings, phases: { ...settings.phases, bootstrap: { replicates: 0, seed: 0 } } })).to.equal(null);
    });
  });

  describe('replicates/<step>.json and the phases input', () => {
    /** A results folder with records and influence files for `steps` (the same sweep each time). */
    const folder = (dir: string, steps: number[], influenceOf: (step: number) => unknown = () => influence): CheckpointRecord[] => {
      mkdirSync(path.join(dir, 'records'), { recursive: true });
      mkdirSync(path.join(dir, 'influence'), { recursive: true });
      return steps.map((step) => {
        const r = { ...record, step, name: `step${step}` };
        writeFileSync(recordFile(dir, step), JSON.stringify(r));
        writeFileSync(influenceFile(dir, step), JSON.stringify(influenceOf(step)));
        return readRecord(dir, step)!;
      });
    };

    it('the series stage computes missing or stale files, reuses current ones, and attaches the replicates to every record', async () => {
      const tmp = tempDir('replicates-attach');
      try {
        const records = folder(tmp.dir, [0, 10, 20]);
        const first = await attachReplicates(tmp.dir, records, settings);
        expect(first).to.deep.equal({ attached: true, computed: 3, reason: null });
        const want = computeReplicates(influence, settings)!;
        for (const r of records) {
          expect(r.replicates).to.deep.equal(want);
          const file = JSON.parse(readFileSync(replicatesFile(tmp.dir, r.step), 'utf8')) as ReplicatesFile;
          expect(file).to.deep.include({ format: 'cntlens-replicates', version: 1, key: KEY, bootstrap: { replicates: 20, seed: 4 } });
        }
        // Current files are read back, not recomputed; a stale one (other key) is recomputed.
        const again = folder(tmp.dir, [0, 10, 20]);
        expect(await attachReplicates(tmp.dir, again, settings)).to.deep.include({ attached: true, computed: 0 });
        expect(again[1].replicates).to.deep.equal(want);
        writeFileSync(replicatesFile(tmp.dir, 10), JSON.stringify(replicatesJson({ ...KEY, settings: 'other' }, influence, settings)));
        expect(readCurrentReplicates(tmp.dir, 10, KEY, settings.phases.bootstrap)).to.equal(null);
        const other = { ...settings, phases: { ...settings.phases, bootstrap: { replicates: 7, seed: 4 } } };
        const third = folder(tmp.dir, [0, 10, 20]);
        expect(await attachReplicates(tmp.dir, third, settings)).to.deep.include({ attached: true, computed: 1 });
        expect(await attachReplicates(tmp.dir, third, other)).to.deep.include({ attached: true, computed: 3 });
        expect(third[0].replicates!.density).to.have.length(7);

        // seriesInput passes them on, for the metrics asked for.
        const matrices = new Map(records.map((r) => [r.step, { nodes: influence.nodes, matrix: influence.matrix }]));
        const input = seriesInput(records, matrices, ['density', 'loss_repeated']);
        expect(input[0].replicates).to.deep.equal({ density: want.density, loss_repeated: want.loss_repeated });
        expect(seriesInput(folder(tmp.dir, [0, 10, 20]), matrices, ['density'])[0]).to.not.have.property('replicates');
      } finally {
        tmp.cleanup();
      }
    });

    it('all or none: one influence file without per-prompt values leaves every record without replicates; NaN survives the file', async () => {
      const tmp = tempDir('replicates-missing');
      try {
        const { per_prompt: _dropped, ...old } = influence;
        const records = folder(tmp.dir, [0, 10, 20], (step) => (step === 10 ? old : influence));
        const result = await attachReplicates(tmp.dir, records, settings);
        expect(result.attached).to.equal(false);
        expect(result.reason).to.match(/^step 10: .*per_prompt/);
        for (const r of records) expect(r).to.not.have.property('replicates');
        expect(await attachReplicates(tmp.dir, records, { ...settings, phases: { ...settings.phases, bootstrap: { replicates: 0, seed: 0 } } })).to.deep.include({ attached: false, computed: 0 });

        // Non-induction prompts: NaN behaviour replicates, written as null and read back as NaN.
        const plain = await influenceSweep(model, [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], { bootstrap: { resamples: 10 } });
        const plainRecords = folder(path.join(tmp.dir, 'plain'), [0, 1, 2], () => plain);
        expect(await attachReplicates(path.join(tmp.dir, 'plain'), plainRecords, settings)).to.deep.include({ attached: true });
        expect(plainRecords[0].replicates!.icl_score.every(Number.isNaN)).to.equal(true);
        expect(plainRecords[0].replicates!.density.every(Number.isFinite)).to.equal(true);
      } finally {
        tmp.cleanup();
      }
    });

    it('the checkpoint stage of the pipeline writes them (equal to a recomputation from the influence file); the series stage reuses them', async () => {
      const tmp = tempDir('replicates-pipeline');
      try {
        const steps = [0, 1000, 2000, 3000];
        const checkpoints = path.join(tmp.dir, 'checkpoints');
        makeCheckpointSeries(checkpoints, steps.length, { steps });
        const out = path.join(tmp.dir, 'results');
        const s = config({ checkpoints, out, workers: 1, phases: { minSize: 3, bootstrap: { replicates: 12 } } });
        await runExperiment(s, { quiet: true });
        for (const step of steps) {
          expect(existsSync(replicatesFile(out, step)), `replicates/${step}.json`).to.equal(true);
          const file = JSON.parse(readFileSync(replicatesFile(out, step), 'utf8')) as ReplicatesFile;
          const r = readRecord(out, step)!;
          expect(file.key).to.deep.equal(r.key);
          expect(file.bootstrap).to.deep.equal({ replicates: 12, seed: 0 });
          const recomputed = replicatesJson(r.key, JSON.parse(readFileSync(influenceFile(out, step), 'utf8')) as InfluenceResult, s);
          expect(file).to.deep.equal(recomputed);
        }
        const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { files: Record<string, unknown>; timings: Record<string, unknown> };
        expect(manifest.files.replicates).to.equal('replicates/<step>.json');
        expect(manifest.timings.replicates_recomputed).to.equal(0);
      } finally {
        tmp.cleanup();
      }
    });
  });
});
