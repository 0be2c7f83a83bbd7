import { expect } from 'chai';
import { communityFlows, trackCommunities } from '../../lib/phases/communities.js';

describe('phases/communities: tracking across checkpoints', () => {
  it('keeps ids stable while one node moves between two fixed communities', () => {
    // x moves A → B → A; the detector lists the communities in a different order every time.
    const partitions = [
      [['a1', 'a2', 'a3', 'x'], ['b1', 'b2', 'b3']],
      [['b1', 'b2', 'b3', 'x'], ['a1', 'a2', 'a3']],
      [['a3', 'a1', 'a2'], ['x', 'b3', 'b2', 'b1']],
      [['b1', 'b2', 'b3'], ['a1', 'x', 'a2', 'a3']],
    ];
    const tracked = trackCommunities(partitions);
    const idOf = (t: number, member: string): string => tracked[t].find((c) => c.members.includes(member))!.id;
    const a = idOf(0, 'a1');
    const b = idOf(0, 'b1');
    expect(a).to.not.equal(b);
    for (let t = 0; t < partitions.length; t++) {
      expect(idOf(t, 'a1'), `checkpoint ${t}`).to.equal(a);
      expect(idOf(t, 'b1'), `checkpoint ${t}`).to.equal(b);
    }
    expect([0, 1, 2, 3].map((t) => idOf(t, 'x') === a)).to.deep.equal([true, false, false, true]);
    expect(tracked.every((list) => list.length === 2)).to.equal(true);
  });

  it('numbers the first partition by size and gives a new community a fresh id', () => {
    const tracked = trackCommunities([
      [['p'], ['a', 'b', 'c']],
      [['a', 'b', 'c'], ['p'], ['q', 'r']],
    ]);
    expect(tracked[0]).to.deep.equal([{ id: 'C0', members: ['a', 'b', 'c'] }, { id: 'C1', members: ['p'] }]);
    expect(tracked[1].map((c) => c.id)).to.deep.equal(['C0', 'C2', 'C1']);
  });

  it('on a split the part that overlaps most keeps the id; a merge keeps the best-matching id', () => {
    const tracked = trackCommunities([
      [['a', 'b', 'c', 'd', 'e', 'f'], ['y', 'z']],
      // split: {a,b,c,d} keeps C0 (Jaccard 4/6 > 2/6); {e,f} is new
      [['e', 'f'], ['a', 'b', 'c', 'd'], ['y', 'z']],
      // merge of C0 and C1: Jaccard with C0 = 4/6, with C1 = 2/6 → C0
      [['a', 'b', 'c', 'd', 'y', 'z'], ['e', 'f']],
    ]);
    expect(tracked[1].map((c) => [c.id, c.members.join('')])).to.deep.equal([['C0', 'abcd'], ['C1', 'yz'], ['C2', 'ef']]);
    expect(tracked[2].map((c) => [c.id, c.members.join('')])).to.deep.equal([['C0', 'abcdyz'], ['C2', 'ef']]);
  });

  it('a minimum Jaccard stops weak matches from inheriting an id', () => {
    const tracked = trackCommunities([[['a', 'b', 'c', 'd']], [['a', 'x', 'y', 'z']]], { minJaccard: 0.5 });
    expect(tracked[1][0].id).to.equal('C1');
  });

  it('flows between consecutive partitions count the nodes that go from one id to another', () => {
    const tracked = trackCommunities([
      [['a1', 'a2', 'x'], ['b1', 'b2']],
      [['a1', 'a2'], ['b1', 'b2', 'x']],
    ]);
    const flows = communityFlows(tracked, [1000, 2000]);
    expect(flows).to.deep.equal([
      { from: 1000, to: 2000, source: 'C0', target: 'C0', count: 2, members: ['a1', 'a2'] },
      { from: 1000, to: 2000, source: 'C0', target: 'C1', count: 1, members: ['x'] },
      { from: 1000, to: 2000, source: 'C1', target: 'C1', count: 2, members: ['b1', 'b2'] },
    ]);
    expect(() => communityFlows(tracked, [1])).to.throw(/steps/);
  });
});
