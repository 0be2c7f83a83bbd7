import { expect } from 'chai';
import { canInfluence, componentNodes, downstreamOf, parseNodeName } from '../../lib/ablation/nodes.js';
import { parsePositions, resolveRange } from '../../lib/ablation/positions.js';
import { cosineDistance, parseMeasure, relativeL2 } from '../../lib/ablation/measures.js';
import { bootstrapCounts, bootstrapIntervals, quantileSorted } from '../../lib/ablation/bootstrap.js';
import { OptionError } from '../../lib/util/errors.js';

describe('influence nodes', () => {
  it('lists heads then the MLP per layer, then LOGITS', () => {
    expect(componentNodes(2, 3).map((n) => n.name)).to.deep.equal(['L0H0', 'L0H1', 'L0H2', 'L0MLP', 'L1H0', 'L1H1', 'L1H2', 'L1MLP', 'LOGITS']);
    componentNodes(2, 3).forEach((n, i) => expect(n.index).to.equal(i));
  });

  it('connects a source to later layers and LOGITS; a head also to its own MLP when sequential', () => {
    const nodes = componentNodes(3, 2);
    const byName = (n: string) => nodes.find((x) => x.name === n)!;
    expect(downstreamOf(byName('L1H0'), nodes, true).map((n) => n.name)).to.deep.equal(['L2H0', 'L2H1', 'L2MLP', 'LOGITS']);
    expect(downstreamOf(byName('L1H0'), nodes, false).map((n) => n.name)).to.deep.equal(['L1MLP', 'L2H0', 'L2H1', 'L2MLP', 'LOGITS']);
    expect(downstreamOf(byName('L1MLP'), nodes, false).map((n) => n.name)).to.deep.equal(['L2H0', 'L2H1', 'L2MLP', 'LOGITS']);
    expect(canInfluence(byName('L1H0'), byName('L1H1'), false)).to.equal(false);
    expect(canInfluence(byName('LOGITS'), byName('LOGITS'), true)).to.equal(false);
    expect(downstreamOf(byName('L2MLP'), nodes, true).map((n) => n.name)).to.deep.equal(['LOGITS']);
  });

  it('parses node names against the model shape', () => {
    expect(parseNodeName('L1MLP', 2, 2).index).to.equal(5);
    expect(() => parseNodeName('L2H0', 2, 2)).to.throw(OptionError, /unknown component "L2H0"/);
  });
});

describe('position ranges', () => {
  it('parses all and half-open ranges with open ends', () => {
    expect(parsePositions('all', '--p')).to.equal('all');
    expect(resolveRange(parsePositions('51:101', '--p'), 101, '--p', 'positions')).to.deep.equal([51, 101]);
    expect(resolveRange(parsePositions('5:', '--p'), 21, '--p', 'positions')).to.deep.equal([5, 21]);
    expect(resolveRange(parsePositions(':7', '--p'), 21, '--p', 'positions')).to.deep.equal([0, 7]);
    expect(resolveRange('all', 21, '--p', 'positions')).to.deep.equal([0, 21]);
  });

  it('refuses malformed, empty and too long ranges, naming the option', () => {
    expect(() => parsePositions('3-5', '--positions')).to.throw(OptionError, /--positions/);
    expect(() => parsePositions(':', '--positions')).to.throw(OptionError);
    expect(() => resolveRange(parsePositions('5:5', '--x'), 21, '--x', 'positions')).to.throw(OptionError, /empty range/);
    expect(() => resolveRange(parsePositions('10:22', '--x'), 21, '--x', 'positions')).to.throw(OptionError, /past the 21/);
  });
});

describe('measures', () => {
  it('cosine distance follows the zero-vector conventions and clamps', () => {
    expect(cosineDistance(0, 0, 0)).to.equal(0); // both zero: cos = 1
    expect(cosineDistance(0, 4, 0)).to.equal(1); // one zero: cos = 0
    expect(cosineDistance(0, 0, 9)).to.equal(1);
    expect(cosineDistance(3, 4, 9)).to.be.closeTo(1 - 3 / 6, 1e-15); // a=(2,0), ã=(1.5, …)
    expect(cosineDistance(6.000001, 4, 9)).to.equal(0); // cos slightly above 1 → clamped
    expect(cosineDistance(-6.000001, 4, 9)).to.equal(2);
  });

  it('relative L2 follows its conventions', () => {
    expect(relativeL2(9, 4)).to.equal(1.5);
    expect(relativeL2(0, 0)).to.equal(0);
    expect(relativeL2(1, 0)).to.equal(1);
  });

  it('knows its measures', () => {
    expect(parseMeasure('kl')).to.equal('kl');
    expect(() => parseMeasure('l1')).to.throw(OptionError, /unknown measure "l1"/);
  });
});

describe('bootstrap', () => {
  it('interpolates quantiles linearly (numpy\'s default)', () => {
    const sorted = [1, 2, 3, 4, 10];
    expect(quantileSorted(sorted, 0)).to.equal(1);
    expect(quantileSorted(sorted, 1)).to.equal(10);
    expect(quantileSorted(sorted, 0.5)).to.equal(3);
    expect(quantileSorted(sorted, 0.9)).to.be.closeTo(7.6, 1e-12); // pos 3.6 → 4 + 0.6·6
  });

  it('draws n prompts with replacement per resample, reproducibly', () => {
    const counts = bootstrapCounts(5, 20, 1);
    for (const c of counts) expect([...c].reduce((a, b) => a + b, 0)).to.equal(5);
    expect(bootstrapCounts(5, 20, 1)).to.deep.equal(counts);
    expect(bootstrapCounts(5, 20, 2)).to.not.deep.equal(counts);
  });

  it('gives degenerate intervals for constant values and spans the support for two prompts', () => {
    const { low, high } = bootstrapIntervals([[0.3, 0.3, 0.3], [0, 1]].slice(0, 1), { resamples: 200, seed: 0 });
    expect(low[0]).to.be.closeTo(0.3, 1e-15);
    expect(high[0]).to.be.closeTo(0.3, 1e-15);
    // two prompts: resampled means 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4 → 2.5% = 0, 97.5% = 1
    const two = bootstrapIntervals([[0, 1]], { resamples: 1000, seed: 0 });
    expect(two.low[0]).to.equal(0);
    expect(two.high[0]).to.equal(1);
  });

  it('brackets the mean, narrows with more agreement, and refuses ragged input', () => {
    const spread = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.6, 0.2];
    const tight = spread.map((x) => 0.4 + (x - 0.4) / 10);
    const { low, high } = bootstrapIntervals([spread, tight], { seed: 3 });
    const mean = spread.reduce((a, b) => a + b) / spread.length;
    expect(low[0]).to.be.below(mean);
    expect(high[0]).to.be.above(mean);
    expect(high[1] - low[1]).to.be.closeTo((high[0] - low[0]) / 10, 1e-9);
    expect(() => bootstrapIntervals([[1, 2], [1]])).to.throw(RangeError);
    expect(() => bootstrapIntervals([[1, 2]], { resamples: -1 })).to.throw(RangeError);
  });

  it('collapses to the mean with 0 resamples', () => {
    expect(bootstrapIntervals([[1, 2, 6]], { resamples: 0 })).to.deep.equal({ low: [3], high: [3] });
  });
});
