/** Building component graphs from influence matrices and edge lists, and refusing bad input. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { percentile } from '../../lib/network/build.js';
import { graphFromEdgeList } from '../../lib/network/edge-list-graph.js';
import { graphFromInfluence } from '../../lib/network/influence-graph.js';
import { parseComponentId } from '../../lib/network/node-id.js';
import { InputError, OptionError } from '../../lib/util/errors.js';
import { INFLUENCE_FIXTURE } from './helpers.js';

/** A 2-layer toy: L0H0, L0MLP → L1H0 → LOGITS, plus L0 → LOGITS. */
function toyInfluence(): { nodes: string[]; matrix: number[][] } {
  return {
    nodes: ['L0H0', 'L0MLP', 'L1H0', 'LOGITS'],
    matrix: [
      [0, 0, 0.4, 0.1],
      [0, 0, 0.2, 0.3],
      [0, 0, 0, 0.8],
      [0, 0, 0, 0],
    ],
  };
}

function edgesOf(graph: ReturnType<typeof graphFromInfluence>): [string, string, number][] {
  return graph.mapEdges((_e, a, s, t) => [s, t, a.weight] as [string, string, number]);
}

describe('network: component node ids', () => {
  it('parses head, MLP and LOGITS ids and refuses others', () => {
    expect(parseComponentId('L3H11')).to.deep.equal({ layer: 3, head: 11, kind: 'head' });
    expect(parseComponentId('L0MLP')).to.deep.equal({ layer: 0, head: null, kind: 'mlp' });
    expect(parseComponentId('LOGITS')).to.deep.equal({ layer: null, head: null, kind: 'logits' });
    for (const bad of ['L1', 'H1', 'L1H', 'l1h1', 'L1MLP2', 'logits', 'n0']) expect(parseComponentId(bad), bad).to.equal(null);
  });
});

describe('network: graphFromInfluence', () => {
  it('builds a directed graph: stable ids, attributes, row = source, zero = no edge', () => {
    const graph = graphFromInfluence(toyInfluence());
    expect(graph.type).to.equal('directed');
    expect(graph.nodes()).to.deep.equal(['L0H0', 'L0MLP', 'L1H0', 'LOGITS']);
    expect(graph.getNodeAttributes('L1H0')).to.deep.equal({ layer: 1, head: 0, kind: 'head' });
    expect(graph.getNodeAttributes('L0MLP')).to.deep.equal({ layer: 0, head: null, kind: 'mlp' });
    expect(graph.getNodeAttributes('LOGITS')).to.deep.equal({ layer: null, head: null, kind: 'logits' });
    expect(edgesOf(graph)).to.deep.equal([
      ['L0H0', 'L1H0', 0.4], ['L0H0', 'LOGITS', 0.1], ['L0MLP', 'L1H0', 0.2], ['L0MLP', 'LOGITS', 0.3], ['L1H0', 'LOGITS', 0.8],
    ]);
  });

  it('reads the influence fixture: 16 nodes, 90 downstream edges, the matrix entries as weights', () => {
    const json = JSON.parse(readFileSync(INFLUENCE_FIXTURE, 'utf8')) as { nodes: string[]; matrix: number[][] };
    const graph = graphFromInfluence(json);
    expect(graph.order).to.equal(16);
    expect(graph.size).to.equal(90); // the fixture's checks.zero_pattern.downstream_entries
    expect(graph.getEdgeAttribute('L0H0', 'L1H0', 'weight')).to.equal(json.matrix[0][5]);
    expect(graph.inDegree('LOGITS')).to.equal(15);
    expect(graph.outDegree('LOGITS')).to.equal(0);
  });

  it('drops the LOGITS sink on request', () => {
    const graph = graphFromInfluence(toyInfluence(), { logits: 'drop' });
    expect(graph.nodes()).to.deep.equal(['L0H0', 'L0MLP', 'L1H0']);
    expect(edgesOf(graph)).to.deep.equal([['L0H0', 'L1H0', 0.4], ['L0MLP', 'L1H0', 0.2]]);
  });

  it('normalises by the maximum or by the total', () => {
    const byMax = graphFromInfluence(toyInfluence(), { normalize: 'max' });
    expect(byMax.getEdgeAttribute('L1H0', 'LOGITS', 'weight')).to.equal(1);
    expect(byMax.getEdgeAttribute('L0H0', 'L1H0', 'weight')).to.equal(0.4 / 0.8);
    const bySum = graphFromInfluence(toyInfluence(), { normalize: 'sum' });
    expect(bySum.getEdgeAttribute('L0MLP', 'LOGITS', 'weight')).to.be.closeTo(0.3 / 1.8, 1e-15);
    expect(bySum.getAttribute('normalizer')).to.be.closeTo(1.8, 1e-15);
  });

  it('prunes by absolute threshold, percentile and top-k per node, before normalising', () => {
    const threshold = graphFromInfluence(toyInfluence(), { prune: { kind: 'threshold', value: 0.3 }, normalize: 'sum' });
    expect(edgesOf(threshold).map(([s, t]) => `${s}>${t}`)).to.deep.equal(['L0H0>L1H0', 'L0MLP>LOGITS', 'L1H0>LOGITS']);
    expect(threshold.getEdgeAttribute('L1H0', 'LOGITS', 'weight')).to.be.closeTo(0.8 / 1.5, 1e-15);
    expect(threshold.getAttribute('prunedCount')).to.equal(2);
    // Weights 0.1 0.2 0.3 0.4 0.8: the 50th percentile is 0.3.
    const median = graphFromInfluence(toyInfluence(), { prune: { kind: 'percentile', value: 50 } });
    expect(edgesOf(median).map(([, , w]) => w)).to.deep.equal([0.4, 0.3, 0.8]);
    const topOut = graphFromInfluence(toyInfluence(), { prune: { kind: 'top-k', k: 1, direction: 'out' } });
    expect(edgesOf(topOut).map(([s, t]) => `${s}>${t}`)).to.deep.equal(['L0H0>L1H0', 'L0MLP>LOGITS', 'L1H0>LOGITS']);
    const topIn = graphFromInfluence(toyInfluence(), { prune: { kind: 'top-k', k: 1, direction: 'in' } });
    expect(edgesOf(topIn).map(([s, t]) => `${s}>${t}`)).to.deep.equal(['L0H0>L1H0', 'L1H0>LOGITS']);
  });

  it('refuses negative weights by default and applies abs or drop when asked', () => {
    const signed = toyInfluence();
    signed.matrix[0][2] = -0.5;
    expect(() => graphFromInfluence(signed, {}, 'signed.json')).to.throw(InputError, /signed\.json: 1 negative edge weight.*-0\.5.*L0H0 -> L1H0/);
    const abs = graphFromInfluence(signed, { negative: 'abs' });
    expect(abs.getEdgeAttribute('L0H0', 'L1H0', 'weight')).to.equal(0.5);
    expect(abs.getAttribute('negativeCount')).to.equal(1);
    const dropped = graphFromInfluence(signed, { negative: 'drop' });
    expect(dropped.hasEdge('L0H0', 'L1H0')).to.equal(false);
    expect(dropped.size).to.equal(4);
  });

  it('computes numpy-style percentiles (linear interpolation)', () => {
    expect(percentile([1, 2, 3, 4], 50)).to.equal(2.5);
    expect(percentile([4, 3, 1, 2], 25)).to.equal(1.75);
    expect(percentile([10, 20], 90)).to.equal(19);
    expect(percentile([7], 30)).to.equal(7);
  });

  it('refuses bad options with OptionError', () => {
    expect(() => graphFromInfluence(toyInfluence(), { prune: { kind: 'percentile', value: 101 } })).to.throw(OptionError, /percentile/);
    expect(() => graphFromInfluence(toyInfluence(), { prune: { kind: 'top-k', k: 0, direction: 'out' } })).to.throw(OptionError, /top-k/);
    expect(() => graphFromInfluence(toyInfluence(), { normalize: 'l2' as never })).to.throw(OptionError, /normalize/);
  });

  describe('refuses malformed influence data, naming the source', () => {
    const cases: [string, unknown, RegExp][] = [
      ['not an object', [1, 2], /expected an influence object/],
      ['no nodes', { matrix: [[0]] }, /"nodes" must be a non-empty array/],
      ['unknown node id', { nodes: ['L0H0', 'attention'], matrix: [[0, 1], [0, 0]] }, /nodes\[1\] = "attention" is not a component id/],
      ['duplicate node', { nodes: ['L0H0', 'L0H0'], matrix: [[0, 1], [0, 0]] }, /listed twice/],
      ['too few rows', { nodes: ['L0H0', 'L1H0'], matrix: [[0, 1]] }, /1 rows but there are 2 nodes/],
      ['non-square row', { nodes: ['L0H0', 'L1H0'], matrix: [[0, 1, 2], [0, 0]] }, /row 0 has 3 entries, expected 2/],
      ['NaN weight (null in JSON)', { nodes: ['L0H0', 'L1H0'], matrix: [[0, null], [0, 0]] }, /matrix\[0\]\[1\] is null, expected a finite number/],
      ['string weight', { nodes: ['L0H0', 'L1H0'], matrix: [[0, '0.5'], [0, 0]] }, /matrix\[0\]\[1\] is "0.5"/],
      ['self-influence', { nodes: ['L0H0', 'L1H0'], matrix: [[0.2, 1], [0, 0]] }, /matrix\[0\]\[0\].*expected 0/],
      ['ci of another shape', { nodes: ['L0H0', 'L1H0'], matrix: [[0, 1], [0, 0]], ci_low: [[0, 1]] }, /"ci_low" has 1 rows/],
    ];
    for (const [what, json, message] of cases) {
      it(what, () => {
        expect(() => graphFromInfluence(json, {}, 'bad.json')).to.throw(InputError, message).with.property('file', 'bad.json');
      });
    }
    it('NaN itself (a JS caller can pass it)', () => {
      expect(() => graphFromInfluence({ nodes: ['L0H0', 'L1H0'], matrix: [[0, NaN], [0, 0]] }, {}, 'x')).to.throw(InputError, /finite number/);
    });
  });
});

describe('network: graphFromEdgeList', () => {
  it('keeps free-form ids (kind other) and isolated nodes', () => {
    const graph = graphFromEdgeList({ nodes: ['a', 'L2MLP', 'c'], edges: [{ source: 'a', target: 'L2MLP', weight: 2 }] });
    expect(graph.nodes()).to.deep.equal(['a', 'L2MLP', 'c']);
    expect(graph.getNodeAttributes('a')).to.deep.equal({ layer: null, head: null, kind: 'other' });
    expect(graph.getNodeAttributes('L2MLP').kind).to.equal('mlp');
    expect(graph.degree('c')).to.equal(0);
  });

  it('treats a weight-0 edge as no edge', () => {
    const graph = graphFromEdgeList({ nodes: ['a', 'b'], edges: [{ source: 'a', target: 'b', weight: 0 }] });
    expect(graph.size).to.equal(0);
  });

  describe('refuses malformed edge lists, naming the source', () => {
    const cases: [string, unknown, RegExp][] = [
      ['not an object', 'edges', /expected an edge list object/],
      ['no edges array', { nodes: ['a'] }, /"edges" must be an array/],
      ['unknown node in an edge', { nodes: ['a', 'b'], edges: [{ source: 'a', target: 'z', weight: 1 }] }, /edges\[0\]\.target "z" is not a node/],
      ['missing weight', { nodes: ['a', 'b'], edges: [{ source: 'a', target: 'b' }] }, /edges\[0\]\.weight is undefined/],
      ['null (NaN) weight', { nodes: ['a', 'b'], edges: [{ source: 'a', target: 'b', weight: null }] }, /edges\[0\]\.weight is null/],
      ['self-loop', { nodes: ['a'], edges: [{ source: 'a', target: 'a', weight: 1 }] }, /self-loop/],
      ['duplicate edge', { nodes: ['a', 'b'], edges: [{ source: 'a', target: 'b', weight: 1 }, { source: 'a', target: 'b', weight: 2 }] }, /repeats the edge a -> b/],
      ['duplicate node', { nodes: ['a', 'a'], edges: [] }, /listed twice/],
    ];
    for (const [what, json, message] of cases) {
      it(what, () => {
        expect(() => graphFromEdgeList(json, {}, 'g.json')).to.throw(InputError, message).with.property('file', 'g.json');
      });
    }
  });
});
