import { expect } from 'chai';
import { LABEL_RULES, labelPhases, matrixDistance, segmentStats } from '../../lib/phases/labels.js';
import type { DynamicsSeries, PhaseStats } from '../../lib/phases/labels.js';

/** A phase's statistics with only what the label rules read set. */
function phase(p: { checkpoints?: number; trendSpeed?: number | null; graphChange?: number | null; metricChange?: number | null; roleVolatility?: number | null; giniChange?: number | null; topShareChange?: number | null }): PhaseStats {
  return {
    checkpoints: p.checkpoints ?? 10,
    trendSpeed: p.trendSpeed ?? null,
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
    topShareChange: p.topShareChange ?? null,
    relativeSpeed: null,
    relativeGraphChange: null,
    relativeVolatility: null,
    activity: null,
    unavailable: {},
  };
}

describe('phases/labels: label rules on constructed phases', () => {
  it('fast and volatile → exploration, concentrating → consolidation, slow and stable → refinement', () => {
    const labelled = labelPhases([
      phase({ trendSpeed: 2, graphChange: 1.0, roleVolatility: 0.8 }),
      phase({ trendSpeed: 0.5, graphChange: 0.35, roleVolatility: 0.3, giniChange: 0.05 }),
      phase({ trendSpeed: 0.1, graphChange: 0.05, roleVolatility: 0.02, giniChange: 0.001 }),
    ]);
    expect(labelled.map((l) => l.label)).to.deep.equal(['exploration', 'consolidation', 'refinement']);
    // activity = mean(speed / fastest, graph change / largest, volatility / most volatile)
    expect(labelled[1].stats.relativeSpeed).to.be.closeTo(0.25, 1e-12);
    expect(labelled[1].stats.relativeGraphChange).to.be.closeTo(0.35, 1e-12);
    expect(labelled[1].stats.relativeVolatility).to.be.closeTo(0.375, 1e-12);
    expect(labelled[1].stats.activity).to.be.closeTo((0.25 + 0.35 + 0.375) / 3, 1e-12);
    expect(labelled[2].stats.activity).to.be.closeTo((0.05 + 0.05 + 0.025) / 3, 1e-12);
    expect(labelled[0].stats.speedSource).to.equal('trendSpeed');
    expect(labelled[0].reason).to.match(/activity 1\.00/);
    expect(labelled[1].reason).to.match(/Gini coefficient rises by 0\.050 >= 0\.02/);
    expect(labelled[2].reason).to.match(/slow change and stable roles/);
  });

  it('the thresholds are inclusive for exploration and exclusive for refinement', () => {
    const labelled = labelPhases([
      phase({ trendSpeed: 1 }),
      phase({ trendSpeed: LABEL_RULES.exploration }),
      phase({ trendSpeed: LABEL_RULES.refinement }),
      phase({ trendSpeed: LABEL_RULES.refinement - 1e-9 }),
    ]);
    expect(labelled.map((l) => l.label)).to.deep.equal(['exploration', 'exploration', 'consolidation', 'refinement']);
    expect(labelled[2].reason).to.match(/change slowing and roles settling/);
  });

  it('a slow phase in which influence still concentrates is consolidation, by the Gini or the top-10% share', () => {
    const labelled = labelPhases([
      phase({ trendSpeed: 1, giniChange: 0.01 }),
      phase({ trendSpeed: 0.1, giniChange: 0.03 }),
      phase({ trendSpeed: 0.1, giniChange: 0.01, topShareChange: 0.04 }),
      phase({ trendSpeed: 0.1, giniChange: 0.019, topShareChange: -0.1 }),
    ]);
    expect(labelled.map((l) => l.label)).to.deep.equal(['exploration', 'consolidation', 'consolidation', 'refinement']);
    expect(labelled[1].reason).to.match(/Gini/);
    expect(labelled[2].reason).to.match(/top-10% share rises by 0\.040/);
  });

  it('stable roles pull a fast phase down: speed 0.6 with volatility 0.1 of the maximum → consolidation', () => {
    const labelled = labelPhases([
      phase({ trendSpeed: 1, roleVolatility: 1 }),
      phase({ trendSpeed: 0.6, roleVolatility: 0.1 }),
    ]);
    expect(labelled[1].stats.activity).to.be.closeTo(0.35, 1e-12);
    expect(labelled[1].label).to.equal('consolidation');
  });

  it('uses the metric change when no phase has a fitted trend, and custom thresholds', () => {
    const labelled = labelPhases(
      [phase({ metricChange: 2 }), phase({ metricChange: 1.2 })],
      { exploration: 0.7 },
    );
    expect(labelled[1].stats.speedSource).to.equal('metricChange');
    expect(labelled[1].stats.relativeSpeed).to.be.closeTo(0.6, 1e-12);
    expect(labelled[1].label).to.equal('consolidation');
  });

  it('a graph change known in only some phases is left out of every activity', () => {
    const labelled = labelPhases([phase({ trendSpeed: 1, graphChange: 0.1 }), phase({ trendSpeed: 0.1, graphChange: null })]);
    expect(labelled[0].stats.relativeGraphChange).to.equal(null);
    expect(labelled[1].stats.activity).to.be.closeTo(0.1, 1e-12);
  });

  it('a single phase, or one without any speed, is undetermined', () => {
    expect(labelPhases([phase({ trendSpeed: 1 })])[0].label).to.equal('undetermined');
    const labelled = labelPhases([phase({ trendSpeed: 1 }), phase({ checkpoints: 1 })]);
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
