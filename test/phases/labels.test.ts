import { expect } from 'chai';
import { LABEL_RULES, labelPhases, matrixDistance, segmentStats } from '../../lib/phases/labels.js';
import type { DynamicsSeries, PhaseStats } from '../../lib/phases/labels.js';

/** A phase's statistics with only what the label rules read set. */
function phase(p: { checkpoints?: number; graphChange?: number | null; metricChange?: number | null; roleVolatility?: number | null; giniChange?: number | null }): PhaseStats {
  return {
    checkpoints: p.checkpoints ?? 10,
    graphChange: p.graphChange ?? null,
    metricChange: p.metricChange ?? null,
    speed: null,
    speedSource: null,
    spreaderVolatility: null,
    gathererVolatility: null,
    roleVolatility: p.roleVolatility ?? null,
    spreaderJaccard: null,
    gathererJaccard: null,
    giniMean: null,
    giniChange: p.giniChange ?? null,
    topShareMean: null,
    topShareChange: null,
    relativeSpeed: null,
    relativeVolatility: null,
    activity: null,
    unavailable: {},
  };
}

describe('phases/labels: label rules on constructed phases', () => {
  it('fast and volatile → exploration, middling → consolidation, slow and stable → refinement', () => {
    const labelled = labelPhases([
      phase({ graphChange: 1.0, roleVolatility: 0.8 }),
      phase({ graphChange: 0.35, roleVolatility: 0.3 }),
      phase({ graphChange: 0.05, roleVolatility: 0.02 }),
    ]);
    expect(labelled.map((l) => l.label)).to.deep.equal(['exploration', 'consolidation', 'refinement']);
    // activity = mean(speed / fastest, volatility / most volatile)
    expect(labelled[1].stats.relativeSpeed).to.be.closeTo(0.35, 1e-12);
    expect(labelled[1].stats.relativeVolatility).to.be.closeTo(0.375, 1e-12);
    expect(labelled[1].stats.activity).to.be.closeTo(0.3625, 1e-12);
    expect(labelled[2].stats.activity).to.be.closeTo((0.05 + 0.025) / 2, 1e-12);
    expect(labelled[0].stats.speedSource).to.equal('graphChange');
    expect(labelled[0].reason).to.match(/activity 1\.00/);
  });

  it('the thresholds are inclusive for exploration and exclusive for refinement', () => {
    const labelled = labelPhases([
      phase({ graphChange: 1 }),
      phase({ graphChange: LABEL_RULES.exploration }),
      phase({ graphChange: LABEL_RULES.refinement }),
      phase({ graphChange: LABEL_RULES.refinement - 1e-9 }),
    ]);
    expect(labelled.map((l) => l.label)).to.deep.equal(['exploration', 'exploration', 'consolidation', 'refinement']);
  });

  it('a slow phase in which influence still concentrates is consolidation, not refinement', () => {
    const labelled = labelPhases([
      phase({ graphChange: 1, giniChange: 0.01 }),
      phase({ graphChange: 0.1, giniChange: 0.08 }),
      phase({ graphChange: 0.1, giniChange: 0.01 }),
    ]);
    expect(labelled.map((l) => l.label)).to.deep.equal(['exploration', 'consolidation', 'refinement']);
    expect(labelled[1].reason).to.match(/Gini/);
  });

  it('stable roles pull a fast phase down: speed 0.6 with volatility 0.1 of the maximum → consolidation', () => {
    const labelled = labelPhases([
      phase({ graphChange: 1, roleVolatility: 1 }),
      phase({ graphChange: 0.6, roleVolatility: 0.1 }),
    ]);
    expect(labelled[1].stats.activity).to.be.closeTo(0.35, 1e-12);
    expect(labelled[1].label).to.equal('consolidation');
  });

  it('uses the metric change when a phase has no graph change, and custom thresholds', () => {
    const labelled = labelPhases(
      [phase({ graphChange: 1, metricChange: 2 }), phase({ graphChange: null, metricChange: 1.2 })],
      { exploration: 0.7 },
    );
    expect(labelled[1].stats.speedSource).to.equal('metricChange');
    expect(labelled[1].stats.relativeSpeed).to.be.closeTo(0.6, 1e-12);
    expect(labelled[1].label).to.equal('consolidation');
  });

  it('a single phase, or one without any speed, is undetermined', () => {
    expect(labelPhases([phase({ graphChange: 1 })])[0].label).to.equal('undetermined');
    const labelled = labelPhases([phase({ graphChange: 1 }), phase({ checkpoints: 1 })]);
    expect(labelled[1].label).to.equal('undetermined');
    expect(labelled[0].label).to.equal('exploration');
  });
});

describe('phases/labels: phase statistics', () => {
  const dyn: DynamicsSeries = {
    steps: [0, 10, 20, 30, 40, 50],
    axis: [0, 1, 2, 3, 4, 5],
    graphChange: [null, 9, 9, 0.2, 0.4, 9],
    metricChange: [null, 1, 1, 1, 1, 1],
    spreaderStability: [null, 0, 0, 0.8, 0.6, 0],
    gathererStability: [null, 0, 0, 1, 1, 0],
    spreaderJaccard: [null, 0, 0, 1, 0.5, 0],
    gathererJaccard: [null, 0, 0, 1, 1, 0],
    gini: [0.9, 0.9, 0.1, 0.2, 0.3, 0.9],
    topShare: [null, null, null, null, null, null],
  };

  it('averages the transitions inside the phase and fits the concentration trend', () => {
    const s = segmentStats(dyn, 2, 5, { topShareMean: 'no top share here' });
    expect(s.checkpoints).to.equal(3);
    // transitions 2→3 and 3→4 only (the jump 1→2 into the phase is the boundary's)
    expect(s.graphChange).to.be.closeTo(0.3, 1e-12);
    expect(s.spreaderVolatility).to.be.closeTo(0.3, 1e-12);
    expect(s.gathererVolatility).to.be.closeTo(0, 1e-12);
    expect(s.roleVolatility).to.be.closeTo(0.15, 1e-12);
    expect(s.spreaderJaccard).to.be.closeTo(0.75, 1e-12);
    expect(s.giniMean).to.be.closeTo(0.2, 1e-12);
    // slope 0.1 per axis unit over a span of 2
    expect(s.giniChange).to.be.closeTo(0.2, 1e-12);
    expect(s.topShareMean).to.equal(null);
    expect(s.unavailable.topShareMean).to.equal('no top share here');
  });

  it('a one-checkpoint phase has no transition statistics', () => {
    const s = segmentStats(dyn, 5, 6);
    expect(s.graphChange).to.equal(null);
    expect(s.unavailable.graphChange).to.match(/single checkpoint/);
    expect(s.giniMean).to.be.closeTo(0.9, 1e-12);
  });

  it('normalised matrix distance of hand-made matrices', () => {
    const eye = [[1, 0], [0, 1]];
    expect(matrixDistance(eye, eye)).to.equal(0);
    expect(matrixDistance(eye, [[0, 1], [1, 0]])).to.be.closeTo(Math.SQRT2, 1e-12);
    expect(matrixDistance(eye, [[-1, 0], [0, -1]])).to.be.closeTo(2, 1e-12);
    expect(matrixDistance([[0]], [[0]])).to.equal(0);
    expect(() => matrixDistance(eye, [[1]])).to.throw(/rows/);
  });
});
