/**
 * One coherent narrative per run: neighbouring phases with the same label merged unless their
 * boundary is significant and separates different rates; what changed at each boundary; the
 * declared warm-up; confidence from replicate series.
 */
import { expect } from 'chai';
import { analyzeSeries, keepApartReason, mergeCandidate } from '../../lib/phases/analyze.js';
import { describeBoundary, trendSpeeds } from '../../lib/phases/boundaries.js';
import { replicateConfidence } from '../../lib/phases/confidence.js';
import { LABEL_RULES } from '../../lib/phases/labels.js';
import type { LabelledPhase, PhaseLabel } from '../../lib/phases/labels.js';
import { InputError } from '../../lib/util/errors.js';
import { Rng } from '../../lib/util/rng.js';
import { linearSteps } from './synthetic.js';

function labelled(label: PhaseLabel, activity: number): LabelledPhase {
  return { label, reason: '', stats: { activity } as LabelledPhase['stats'] };
}

/** Three metrics on scales 0.01, 1, 100 following `shape(t)` (in noise sd) plus N(0, 1) noise. */
function series(n: number, shape: (t: number) => number, seed: number): { step: number; metrics: Record<string, number> }[] {
  const rng = new Rng(seed);
  return linearSteps(n).map((step, t) => ({
    step,
    metrics: { a: 0.01 * (5 + shape(t) + rng.normal()), b: 5 - shape(t) + rng.normal(), c: 100 * (5 + shape(t) + rng.normal()) },
  }));
}

describe('phases/narrative: same-label neighbours', () => {
  it('stay apart only when the boundary is significant and one side is at least twice as active', () => {
    const rules = { keepApart: LABEL_RULES.keepApart, keepApartRatio: LABEL_RULES.keepApartRatio };
    expect(keepApartReason(labelled('refinement', 0.02), labelled('refinement', 0.2), 0.99, rules)).to.match(/significant \(confidence 0\.99 >= 0\.95\) and separates different rates \(activity 0\.02 vs 0\.20, ratio 10\.0 >= 2\)/);
    expect(keepApartReason(labelled('refinement', 0.02), labelled('refinement', 0.2), 0.9, rules)).to.equal(null);
    expect(keepApartReason(labelled('exploration', 0.9), labelled('exploration', 0.6), 1, rules)).to.equal(null);
    expect(keepApartReason(labelled('exploration', 1), labelled('exploration', 0.5), 1, rules)).to.match(/ratio 2\.0/);
  });

  it('the least certain mergeable boundary goes first; different labels are never merged', () => {
    const rules = { keepApart: 0.95, keepApartRatio: 2 };
    const phases = [labelled('exploration', 1), labelled('exploration', 0.8), labelled('exploration', 0.7), labelled('refinement', 0.1)];
    expect(mergeCandidate(phases, [0.99, 0.6, 1], rules)).to.equal(1);
    expect(mergeCandidate(phases, [0.5, 0.6, 1], rules)).to.equal(0);
    expect(mergeCandidate([labelled('exploration', 1), labelled('refinement', 0.01)], [0.1], rules)).to.equal(-1);
    expect(mergeCandidate([labelled('undetermined', 1), labelled('undetermined', 1)], [0.1], rules)).to.equal(-1);
  });

  it('a bend inside one fast regime is merged away; the merged phase says what it absorbed', () => {
    // climbing 1.5σ a checkpoint, then falling as fast, then flat: two fast phases and a flat one
    const shape = (t: number): number => (t < 20 ? 1.5 * t : t < 40 ? 30 - 1.5 * (t - 20) : 0);
    const r = analyzeSeries(series(60, shape, 3), { labelRules: { keepApart: 0.95, keepApartRatio: 2 } });
    expect(r.detected.map((b) => b.step)).to.have.length(2);
    expect(Math.abs(r.detected[0].step - 2000)).to.be.at.most(200);
    expect(r.phases.map((p) => p.label)).to.deep.equal(['exploration', 'refinement']);
    expect(r.boundaries).to.deep.equal([r.detected[1].step]);
    expect(r.phases[0].merged).to.have.length(1);
    expect(r.phases[0].merged[0].step).to.equal(r.detected[0].step);
    expect(r.phases[0].merged[0].reason).to.match(/both sides were exploration/);
    expect(r.changes).to.have.length(1);
  });

  it('with the keep-apart rule switched off, the same series keeps both boundaries', () => {
    const shape = (t: number): number => (t < 20 ? 1.5 * t : t < 40 ? 30 - 1.5 * (t - 20) : 0);
    const r = analyzeSeries(series(60, shape, 3), { labelRules: { keepApart: 0, keepApartRatio: 0 } });
    expect(r.phases.map((p) => p.label)).to.deep.equal(['exploration', 'exploration', 'refinement']);
    expect(r.phases[1].labelReason).to.match(/kept apart from the previous exploration phase because the boundary is significant/);
  });
});

describe('phases/narrative: what changed at a boundary', () => {
  it('reports slopes per checkpoint, the level jump and each metric’s share, on hand-made lines', () => {
    const x = Array.from({ length: 20 }, (_, t) => t);
    // metric 0: slope 1 then 3 with no jump; metric 1: flat, then a jump of 5 at checkpoint 10
    const raw = x.map((t) => [t < 10 ? t : 9 + 3 * (t - 9), t < 10 ? 0 : 5]);
    const standard = raw.map((row) => [row[0], row[1]]);
    const change = describeBoundary(standard, raw, x, ['rate', 'level'], { s: 0, b: 10, t: 20, step: 1000, shape: 'jump', confidence: 0.97, penalty: 10 });
    const rate = change.metrics.find((m) => m.metric === 'rate')!;
    const level = change.metrics.find((m) => m.metric === 'level')!;
    expect(rate.slopeBefore).to.be.closeTo(1, 1e-9);
    expect(rate.slopeAfter).to.be.closeTo(3, 1e-9);
    // the before-line extrapolated to checkpoint 10 is 10; the after-line starts at 12
    expect(rate.levelJump).to.be.closeTo(2, 1e-9);
    expect(level.levelJump).to.be.closeTo(5, 1e-9);
    expect(level.slopeBefore).to.equal(0);
    expect(rate.share + level.share).to.be.closeTo(1, 1e-12);
    expect(change.confidence).to.equal(0.97);
    expect(change.summary).to.match(/^a change of rate and level, led by /);
    expect(change.step).to.equal(1000);
  });

  it('trend speed: a flat noisy phase is 0, a steady climb is its rate per checkpoint', () => {
    const rng = new Rng(9);
    const x = Array.from({ length: 40 }, (_, t) => t * 10);
    const data = x.map((_, t) => [(t < 20 ? 0 : 0.8 * (t - 20)) + rng.normal(), rng.normal()]);
    const [flat, climb] = trendSpeeds(data, x, [0, 20], [20, 40]);
    expect(flat).to.equal(0);
    // RMS over the two metrics of (0.8, ~0): 0.8/√2
    expect(climb!).to.be.closeTo(0.8 / Math.SQRT2, 0.06);
  });
});

describe('phases/narrative: warm-up and replicate confidence', () => {
  it('a declared warm-up is left out of the search and reported', () => {
    // flat during the warm-up (steps 0–900), then a climb and a plateau
    const shape = (t: number): number => (t < 10 ? 0 : t < 35 ? 1.2 * (t - 10) : 30);
    const checkpoints = series(60, shape, 5);
    const r = analyzeSeries(checkpoints, { warmup: 1000 });
    expect(r.warmup).to.deep.equal({ beforeStep: 1000, start: 0, end: 900, checkpoints: 10 });
    expect(r.phases[0].start).to.equal(1000);
    expect(r.phases[0].startIndex).to.equal(10);
    expect(r.boundaries.every((b) => b > 1000)).to.equal(true);
    expect(r.settings.warmup).to.equal(1000);
    // without the declaration the flat start is a phase of its own
    const all = analyzeSeries(checkpoints);
    expect(all.warmup).to.equal(null);
    expect(Math.abs(all.boundaries[0] - 1000)).to.be.at.most(200);
    expect(() => analyzeSeries(checkpoints, { warmup: 5800, source: 's.csv' })).to.throw(InputError, /s\.csv: only 2 checkpoint\(s\) at or after the warm-up/);
    expect(() => analyzeSeries(checkpoints, { warmup: -1 })).to.throw(/warmup/);
  });

  it('replicate confidence: the share of replicate series that find the boundary within ±2', () => {
    const rng = new Rng(2);
    const step = (t: number): number => (t < 20 ? 0 : 8);
    const base = Array.from({ length: 40 }, (_, t) => [step(t) + rng.normal(), -step(t) + rng.normal()]);
    // 10 replicates: 6 keep the step, 4 lose it (every column)
    const replicates = base.map((row, t) => row.map((v, j) => Array.from({ length: 10 }, (_, r) => (r < 6 ? v : v - (j === 0 ? 1 : -1) * step(t)))));
    const { confidence, replicates: count } = replicateConfidence(base, replicates, [20], {});
    expect(count).to.equal(10);
    expect(confidence).to.deep.equal([0.6]);
  });

  it('analyzeSeries takes the confidence from replicates when every checkpoint has them', () => {
    const shape = (t: number): number => (t < 25 ? 0 : 1.5 * (t - 25));
    const checkpoints = series(50, shape, 8).map((c) => ({ ...c, replicates: { a: [c.metrics.a, c.metrics.a, c.metrics.a] } }));
    const r = analyzeSeries(checkpoints);
    expect(r.settings.confidence).to.include({ method: 'bootstrap', source: 'replicates', replicates: 3, tolerance: 2 });
    expect(r.confidence).to.deep.equal(r.boundaries.map(() => 1));
    const uneven = checkpoints.map((c, t) => (t === 7 ? { ...c, replicates: { a: [1, 2] } } : c));
    expect(() => analyzeSeries(uneven, { source: 'u.json' })).to.throw(InputError, /u\.json: replicates\["a"\] at step 700 has 2 values, expected 3/);
  });
});

describe('phases/narrative: replicates undefined on some resamples', () => {
  it('a metric with a NaN replicate keeps its own values in every replicate instead of stopping the analysis', () => {
    const rng = new Rng(6);
    const checkpoints = linearSteps(40).map((step, t) => {
      const a = (t < 20 ? 0 : 1.5 * (t - 20)) + rng.normal();
      const b = rng.normal();
      return { step, metrics: { a, b }, replicates: { a: [a, a + 0.01, a - 0.01], b: t === 9 ? [b, NaN, b] : [b, b, b] } };
    });
    const r = analyzeSeries(checkpoints);
    expect(r.settings.confidence).to.include({ method: 'bootstrap', source: 'replicates' });
    expect((r.settings.confidence as { metrics: string[] }).metrics).to.deep.equal(['a']);
  });
});
