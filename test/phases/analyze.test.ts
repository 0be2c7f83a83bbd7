import { expect } from 'chai';
import { analyzeSeries } from '../../lib/phases/analyze.js';
import { resolveAxis } from '../../lib/phases/axis.js';
import { detectChangePoints } from '../../lib/phases/changepoints.js';
import { bootstrapConfidence, penaltySweepConfidence, persistence } from '../../lib/phases/confidence.js';
import { InputError } from '../../lib/util/errors.js';
import { Rng } from '../../lib/util/rng.js';
import { linearSteps, plantedSeries, pythiaSteps, syntheticTraining } from './synthetic.js';

/** 45 checkpoints of the Pythia grid: the 11 log-spaced ones, then every 4000 steps. */
function pythiaSubset(): number[] {
  return pythiaSteps().filter((s, i) => i < 11 || (s % 4000 === 0 && s <= 136000));
}

describe('phases/axis', () => {
  it('auto: step for an even grid, logstep for Pythia\'s grid, and says why', () => {
    const even = resolveAxis(linearSteps(10, 1000));
    expect(even.used).to.equal('step');
    expect(even.reason).to.match(/evenly spaced/);
    const pythia = resolveAxis(pythiaSteps());
    expect(pythia.used).to.equal('logstep');
    expect(pythia.reason).to.match(/from 1 to 1000 steps/);
    expect(pythia.values[0]).to.equal(0);
    expect(pythia.values[1]).to.be.closeTo(Math.log(2), 1e-12);
    expect(resolveAxis([0, 1, 5], 'index').values).to.deep.equal([0, 1, 2]);
    expect(resolveAxis([-5, -4, 10]).used).to.equal('index');
    expect(() => resolveAxis([-5, 0, 1], 'logstep')).to.throw(/steps >= 0/);
  });
});

describe('phases/confidence', () => {
  it('persistence counts the runs with a boundary within the tolerance', () => {
    const runs = [[10], [11], [12], [], [9, 30]];
    expect(persistence([10, 30], runs, 1)).to.deep.equal([3 / 5, 1 / 5]);
    expect(persistence([10], runs, 2)).to.deep.equal([4 / 5]);
    // the default tolerance is ±2 checkpoints
    expect(persistence([10], runs)).to.deep.equal([4 / 5]);
  });

  it('penalty sweep: log-spaced from ½β to 2β; a strong boundary survives all of it', () => {
    const data = plantedSeries({ n: 60, d: 3, boundaries: [30], shift: 4, shifted: 3, seed: 1 });
    const found = detectChangePoints(data, { model: 'constant' });
    expect(found.boundaries).to.deep.equal([30]);
    const { confidence, penalties } = penaltySweepConfidence(data, found.boundaries, { penalty: found.penalty, model: 'constant' });
    expect(penalties).to.have.length(21);
    expect(penalties[0]).to.be.closeTo(found.penalty / 2, 1e-9);
    expect(penalties[10]).to.be.closeTo(found.penalty, 1e-9);
    expect(penalties[20]).to.be.closeTo(found.penalty * 2, 1e-9);
    expect(penalties[1] / penalties[0]).to.be.closeTo(penalties[20] / penalties[19], 1e-9);
    expect(confidence).to.deep.equal([1]);
  });

  it('penalty sweep: a weak boundary is the fraction of penalties that keep it', () => {
    const data = plantedSeries({ n: 40, d: 1, boundaries: [20], shift: 1.6, shifted: 1, seed: 3 });
    const penalty = 12;
    const boundaries = detectChangePoints(data, { penalty, model: 'constant' }).boundaries;
    expect(boundaries).to.have.length(1);
    const { confidence, penalties } = penaltySweepConfidence(data, boundaries, { penalty, model: 'constant' }, { tolerance: 1 });
    const kept = penalties.filter((p) => detectChangePoints(data, { penalty: p, model: 'constant' }).boundaries.some((b) => Math.abs(b - boundaries[0]) <= 1)).length;
    expect(confidence[0]).to.equal(kept / 21);
    expect(confidence[0]).to.be.greaterThan(0).and.lessThan(1);
  });

  it('prompt bootstrap: certain when prompts agree, less so when they scatter; reproducible', () => {
    const rng = new Rng(8);
    const n = 40;
    const make = (promptNoise: number) => {
      const perPrompt = Array.from({ length: n }, (_, t) => [Array.from({ length: 10 }, () => (t < 20 ? 0 : 1) + promptNoise * rng.normal())]);
      const series = perPrompt.map((row) => [row[0].reduce((a, b) => a + b, 0) / 10]);
      return { series, perPrompt };
    };
    const clean = make(0.05);
    const found = detectChangePoints(clean.series, { model: 'constant' });
    expect(found.boundaries).to.deep.equal([20]);
    const a = bootstrapConfidence(clean.series, clean.perPrompt, [20], { penalty: found.penalty, model: 'constant' }, { replicates: 50, seed: 4 });
    expect(a).to.deep.equal({ confidence: [1], replicates: 50, prompts: 10 });
    const noisy = make(1.2);
    const weak = bootstrapConfidence(noisy.series, noisy.perPrompt, [20], { penalty: found.penalty, model: 'constant' }, { replicates: 50, seed: 4 });
    expect(weak.confidence[0]).to.be.lessThan(1);
    const again = bootstrapConfidence(noisy.series, noisy.perPrompt, [20], { penalty: found.penalty, model: 'constant' }, { replicates: 50, seed: 4 });
    expect(again).to.deep.equal(weak);
  });
});

describe('phases/analyze: the whole analysis on a synthetic training run', () => {
  const steps = pythiaSubset();
  const b1 = 15;
  const b2 = 30;
  const result = analyzeSeries(syntheticTraining(steps, b1, b2, 21), { confidence: { replicates: 40 } });

  it('finds the planted phases, in steps', () => {
    expect(steps).to.have.length(45);
    expect(result.boundaries).to.deep.equal([steps[b1], steps[b2]]);
    expect(result.phases.map((p) => [p.start, p.end, p.checkpoints])).to.deep.equal([
      [steps[0], steps[b1 - 1], b1],
      [steps[b1], steps[b2 - 1], b2 - b1],
      [steps[b2], steps[44], 45 - b2],
    ]);
    expect(result.phases[0].means.loss_repeated).to.be.closeTo(6, 0.1);
    expect(result.phases[1].means.loss_repeated).to.be.closeTo(3.5, 0.1);
  });

  it('labels them exploration, consolidation, refinement with the statistics beside the label', () => {
    expect(result.phases.map((p) => p.label)).to.deep.equal(['exploration', 'consolidation', 'refinement']);
    const [first, second, third] = result.phases.map((p) => p.stats);
    expect(first.speedSource).to.equal('trendSpeed');
    expect(second.giniChange!).to.be.at.least(0.02);
    expect(result.phases[1].labelReason).to.match(/influence concentrates/);
    expect(first.graphChange!).to.be.greaterThan(second.graphChange!);
    expect(second.graphChange!).to.be.greaterThan(third.graphChange!);
    expect(first.roleVolatility!).to.be.greaterThan(third.roleVolatility!);
    expect(third.spreaderJaccard!).to.be.greaterThan(first.spreaderJaccard!);
    expect(first.giniMean).to.be.a('number');
    expect(result.phases[2].labelReason).to.match(/activity/);
  });

  it('gives a bootstrap confidence per boundary and reports the settings', () => {
    expect(result.settings.confidence.method).to.equal('bootstrap');
    expect(result.confidence).to.have.length(2);
    for (const c of result.confidence) expect(c).to.be.within(0.9, 1);
    expect(result.settings.axis.used).to.equal('logstep');
    expect(result.settings.metrics).to.include.members(['density', 'loss_repeated', 'icl_score']);
    expect(result.settings.penaltySource).to.equal('default');
    expect(result.settings.penalty).to.equal(result.settings.penaltyDefault);
    expect(result.settings.topK).to.equal(3);
  });

  it('finds the gatherer reconfiguration at the first boundary, aligned with the induction-loss drop', () => {
    const loss = result.behaviour.find((e) => e.metric === 'loss_repeated')!;
    expect(loss.step).to.equal(steps[b1]);
    expect(loss.change).to.be.lessThan(0);
    expect(loss.nearestBoundary).to.deep.equal({ step: steps[b1], offset: 0 });
    const gatherer = result.roles!.reconfigurations.filter((r) => r.role === 'gatherer');
    expect(gatherer.length).to.be.at.least(1);
    expect(gatherer[0].step).to.equal(steps[b1]);
    expect(gatherer[0].nearestBoundary).to.deep.equal({ step: steps[b1], offset: 0 });
    expect(gatherer[0].behaviour.find((b) => b.metric === 'loss_repeated')!.offset).to.equal(0);
    expect(result.roles!.series.map((s) => s.role)).to.deep.equal(['spreader', 'gatherer', 'gatekeeper']);
  });

  it('tracks the two communities with stable ids and exports the flows', () => {
    const tracking = result.communities!;
    expect(tracking.tracked).to.have.length(45);
    const idsOf = (t: number): string[] => tracking.tracked[t].communities.map((c) => c.id).sort();
    for (let t = 0; t < 45; t++) expect(idsOf(t)).to.deep.equal(['C0', 'C1']);
    const moving = tracking.flows.filter((f) => f.source !== f.target);
    expect(moving).to.have.length(44);
    for (const f of moving) expect(f.members).to.deep.equal(['L0H0']);
  });

  it('is JSON-serialisable and says which sections are unavailable', () => {
    const json = JSON.parse(JSON.stringify(result));
    expect(json.boundaries).to.deep.equal(result.boundaries);
    expect(result.unavailable).to.deep.equal({});
  });
});

describe('phases/analyze: inputs without node data', () => {
  it('leaves the node statistics null with a reason, and uses the penalty sweep', () => {
    const steps = linearSteps(60);
    // flat, then climbing 1.5σ a checkpoint, then flat again: refinement, exploration, refinement
    const rng = new Rng(2);
    const ramp = (t: number): number => 1.5 * (Math.min(Math.max(t, 19), 39) - 19);
    const data = steps.map((_, t) => [0.01, 1, 100].map((scale, j) => scale * (5 + (j === 1 ? -1 : 1) * ramp(t) + rng.normal())));
    const checkpoints = steps.map((step, t) => ({ step, metrics: { a: data[t][0], b: data[t][1], c: data[t][2] } }));
    const r = analyzeSeries(checkpoints.slice().reverse());
    expect(r.boundaries).to.have.length(2);
    expect(Math.abs(r.boundaries[0] - 2000)).to.be.at.most(200);
    expect(Math.abs(r.boundaries[1] - 4000)).to.be.at.most(200);
    expect(r.phases.map((p) => p.label)).to.deep.equal(['refinement', 'exploration', 'refinement']);
    expect(r.settings.reorderedInput).to.equal(true);
    expect(r.settings.confidence.method).to.equal('penalty-sweep');
    expect(r.settings.axis.used).to.equal('step');
    expect(r.phases[0].stats.roleVolatility).to.equal(null);
    expect(r.phases[0].stats.unavailable.roleVolatility).to.match(/no node-level metrics/);
    expect(r.phases[0].stats.graphChange).to.equal(null);
    expect(r.phases[0].stats.speedSource).to.equal('trendSpeed');
    expect(r.roles).to.equal(null);
    expect(r.communities).to.equal(null);
    expect(Object.keys(r.unavailable)).to.include.members(['roles', 'communities', 'graphChange', 'bootstrap', 'concentration', 'behaviour']);
  });

  it('rejects too few, duplicate or non-finite checkpoints and unknown metrics', () => {
    const cp = (step: number, v = 1) => ({ step, metrics: { m: v } });
    expect(() => analyzeSeries([cp(0), cp(1)], { source: 'x.json' })).to.throw(InputError, /x\.json: needs at least 3/);
    expect(() => analyzeSeries([cp(0), cp(1), cp(1)])).to.throw(InputError, /step 1 appears twice/);
    expect(() => analyzeSeries([cp(0), cp(NaN), cp(2)])).to.throw(InputError, /finite/);
    expect(() => analyzeSeries([cp(0), cp(1), cp(2)], { metrics: ['nope'] })).to.throw(InputError, /"nope" is missing/);
    const partial = [cp(0), cp(1), { step: 2, metrics: { m: 3, extra: 1 } }];
    expect(analyzeSeries(partial).settings.droppedMetrics).to.deep.equal([{ metric: 'extra', reason: 'missing or not a finite number at step 0' }]);
  });
});
