import { expect } from 'chai';
import { findReconfigurations, nodeScores, roleSeries } from '../../lib/phases/roles.js';

describe('phases/roles', () => {
  it('node scores from node metrics, or in/out strength from the influence matrix', () => {
    expect(nodeScores({ step: 0, metrics: {}, nodes: { a: { out_strength: 2 }, b: { out_strength: 1 } } }, 'out_strength')).to.deep.equal({ a: 2, b: 1 });
    expect(nodeScores({ step: 0, metrics: {}, nodes: { a: { out_strength: 2 }, b: {} } }, 'out_strength')).to.equal(null);
    // matrix[i][j] = influence of i on j; the diagonal is ignored, signs are dropped
    const c = { step: 0, metrics: {}, matrix: [[5, 1, 2], [3, 5, 0], [0, -4, 5]], nodeIds: ['a', 'b', 'c'] };
    expect(nodeScores(c, 'out_strength')).to.deep.equal({ a: 3, b: 3, c: 4 });
    expect(nodeScores(c, 'in_strength')).to.deep.equal({ a: 3, b: 5, c: 2 });
    expect(nodeScores(c, 'betweenness')).to.equal(null);
    expect(nodeScores({ step: 0, metrics: {} }, 'out_strength')).to.equal(null);
  });

  it('rankings, top-k and their stability between checkpoints', () => {
    const cp = (step: number, scores: Record<string, number>) => ({
      step,
      metrics: {},
      nodes: Object.fromEntries(Object.entries(scores).map(([id, v]) => [id, { out_strength: v }])),
    });
    const r = roleSeries([cp(0, { a: 3, b: 2, c: 1, d: 0 }), cp(1, { a: 3, b: 1, c: 2, d: 0 }), cp(2, { a: 0, b: 1, c: 2, d: 3 })], 'spreader', 'out_strength', 2);
    if (!('series' in r)) throw new Error(r.reason);
    const s = r.series;
    expect(s.rankings).to.deep.equal([['a', 'b', 'c', 'd'], ['a', 'c', 'b', 'd'], ['d', 'c', 'b', 'a']]);
    expect(s.top).to.deep.equal([['a', 'b'], ['a', 'c'], ['d', 'c']]);
    expect(s.stability[0]).to.equal(null);
    expect(s.stability[1]).to.be.closeTo(4 / 6, 1e-12);
    // a>c>b>d then d>c>b>a: of 6 pairs only (c, b) keeps its order → (1 − 5)/6
    expect(s.stability[2]).to.be.closeTo(-4 / 6, 1e-12);
    expect(s.topJaccard).to.deep.equal([null, 1 / 3, 1 / 3]);
    const missing = roleSeries([cp(0, { a: 1 }), { step: 1, metrics: {} }], 'spreader', 'out_strength', 1);
    expect('reason' in missing && missing.reason).to.match(/no node-level metrics/);
  });

  it('reconfigurations are the transitions whose instability is a robust outlier', () => {
    const stability = [null, 1, 0.98, 1, 0.2, 0.97, 1, 0.99];
    const steps = [0, 1, 2, 4, 8, 16, 32, 64];
    // instability 0, .02, 0, .8, .03, 0, .01 → median .01, MAD .01 → scale floored at 0.05
    const found = findReconfigurations(stability, steps);
    expect(found).to.have.length(1);
    expect(found[0]).to.include({ step: 8, previousStep: 4, index: 4, stability: 0.2 });
    expect(found[0].z).to.be.closeTo((0.8 - 0.01) / 0.05, 1e-9);
    expect(findReconfigurations(stability, steps, { z: 20 })).to.deep.equal([]);
    // a flat series has none
    expect(findReconfigurations([null, 0.9, 0.9, 0.9, 0.9], [0, 1, 2, 3, 4])).to.deep.equal([]);
  });
});
