import { expect } from 'chai';
import { jaccard, kendallTau, kendallTauOfScores, rankIds, topK } from '../../lib/phases/ranking.js';

describe('phases/ranking: Kendall τ, Jaccard, concentration', () => {
  it('Kendall τ-b of hand-made rankings', () => {
    expect(kendallTau([1, 2, 3, 4], [1, 2, 3, 4])).to.equal(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).to.equal(-1);
    // one swapped neighbour pair: 5 concordant, 1 discordant of 6 → 4/6
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).to.be.closeTo(4 / 6, 1e-12);
    // ties: pairs (1,2)C (1,3)C (1,4)C (2,3)tie-x (2,4)C (3,4)tie-y → C=4, D=0, P=6, Tx=Ty=1 → 4/√(5·5)
    expect(kendallTau([1, 2, 2, 3], [1, 2, 3, 3])).to.be.closeTo(0.8, 1e-12);
    expect(Number.isNaN(kendallTau([1, 1, 1], [1, 2, 3]))).to.equal(true);
    expect(() => kendallTau([1, 2], [1])).to.throw(/length/);
  });

  it('Kendall τ of score maps uses the common nodes, whatever the key order', () => {
    const a = { h0: 0.9, h1: 0.5, mlp0: 0.1, gone: 3 };
    const b = { mlp0: 0.2, h1: 0.6, h0: 0.3, fresh: 1 };
    // common h0, h1, mlp0: a ranks h0 > h1 > mlp0, b ranks h1 > h0 > mlp0 → one discordant pair of 3
    expect(kendallTauOfScores(a, b)).to.be.closeTo(1 / 3, 1e-12);
  });

  it('Jaccard of hand-made sets', () => {
    expect(jaccard(['a', 'b', 'c'], ['b', 'c', 'd'])).to.equal(0.5);
    expect(jaccard(['a'], ['b'])).to.equal(0);
    expect(jaccard([], [])).to.equal(1);
    expect(jaccard(['a', 'a', 'b'], ['b', 'a'])).to.equal(1);
  });

  it('rankings and top-k break ties by id', () => {
    const scores = { c: 1, a: 2, b: 2, d: 0 };
    expect(rankIds(scores)).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(topK(scores, 2)).to.deep.equal(['a', 'b']);
    expect(topK(scores, 0)).to.deep.equal([]);
  });
});
