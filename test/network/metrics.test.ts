/**
 * Metrics on small graphs whose values are worked out by hand (in the comments), covering the
 * conventions the networkx fixtures do not reach: the −log distance, ties between shortest paths,
 * unreachable nodes, undefined metrics, roles.
 */
import { expect } from 'chai';
import { analyzeGraph } from '../../lib/network/analyze.js';
import { betweenness } from '../../lib/network/betweenness.js';
import { closeness } from '../../lib/network/closeness.js';
import { clustering } from '../../lib/network/clustering.js';
import { DEFAULTS } from '../../lib/network/defaults.js';
import { density } from '../../lib/network/density.js';
import { graphFromEdgeList } from '../../lib/network/edge-list-graph.js';
import { eigenvector } from '../../lib/network/eigenvector.js';
import { graphFromInfluence } from '../../lib/network/influence-graph.js';
import { hits } from '../../lib/network/hits.js';
import { katz } from '../../lib/network/katz.js';
import { modularity } from '../../lib/network/modularity.js';
import { pagerank } from '../../lib/network/pagerank.js';
import { roles } from '../../lib/network/roles.js';
import { strengthAssortativity } from '../../lib/network/assortativity.js';
import { OptionError } from '../../lib/util/errors.js';

function graph(nodes: string[], edges: [string, string, number][]) {
  return graphFromEdgeList({ nodes, edges: edges.map(([source, target, weight]) => ({ source, target, weight })) });
}

describe('network: metrics on hand-worked graphs', () => {
  // a→b (1), b→c (1), a→c (0.5). Distance 1/w: a→c direct = 2 = a→b→c, a tie.
  // Distance −ln(w/max): a→b = b→c = 0 < a→c = ln 2, so the path through b is the only shortest.
  const tie = graph(['a', 'b', 'c'], [['a', 'b', 1], ['b', 'c', 1], ['a', 'c', 0.5]]);

  it('betweenness splits a tie between equal shortest paths (1/w) and follows −log lengths', () => {
    expect(betweenness(tie, { normalized: false })).to.deep.equal({ a: 0, b: 0.5, c: 0 });
    expect(betweenness(tie, { normalized: false, distance: 'neglog' })).to.deep.equal({ a: 0, b: 1, c: 0 });
    // normalized: divided by (n − 1)(n − 2) = 2
    expect(betweenness(tie, { distance: 'neglog' })).to.deep.equal({ a: 0, b: 0.5, c: 0 });
  });

  it('closeness (wf_improved) with unreachable nodes, incoming and outgoing', () => {
    // a→b (1), b→c (0.5): lengths 1 and 2. Into c: from b 2, from a 3 → (2/5)·(2/2) = 0.4.
    // Into b: from a 1 → (1/1)·(1/2) = 0.5. Out of a: 1 + 3 = 4 → (2/4)·(2/2) = 0.5.
    const chain = graph(['a', 'b', 'c'], [['a', 'b', 1], ['b', 'c', 0.5]]);
    expect(closeness(chain, { direction: 'in' })).to.deep.equal({ a: 0, b: 0.5, c: 0.4 });
    expect(closeness(chain, { direction: 'out' })).to.deep.equal({ a: 0.5, b: 0.25, c: 0 });
    // Without wf_improved: into b = 1/1 = 1.
    expect(closeness(chain, { direction: 'in', wfImproved: false }).b).to.equal(1);
  });

  it('clustering: a weighted transitive triangle', () => {
    // a→b (1), b→c (1/8), a→c (1); w_max = 1, cube roots 1, 1/2, 1. For a: the ordered pairs
    // (b, c) and (c, b) each give 1·½·1, total 1; d_tot = 2, d↔ = 0 → 1 / (2·(2·1 − 0)) = 1/4.
    const triangle = graph(['a', 'b', 'c'], [['a', 'b', 1], ['b', 'c', 0.125], ['a', 'c', 1]]);
    const c = clustering(triangle);
    expect(c.a).to.be.closeTo(0.25, 1e-15);
    expect(c.b).to.be.closeTo(0.25, 1e-15);
    expect(c.c).to.be.closeTo(0.25, 1e-15);
    expect(clustering(graph(['a', 'b'], [['a', 'b', 1]]))).to.deep.equal({ a: 0, b: 0 });
  });

  it('PageRank of a→b: closed form with the dangling node teleporting', () => {
    // x_a = 0.075 + 0.425 x_b and x_a + x_b = 1 → x_a = 0.5 / 1.425.
    const pr = pagerank(graph(['a', 'b'], [['a', 'b', 3]]));
    expect(pr.a).to.be.closeTo(0.5 / 1.425, 1e-10);
    expect(pr.b).to.be.closeTo(1 - 0.5 / 1.425, 1e-10);
  });

  it('HITS of a→b, and null with a reason without edges', () => {
    const result = hits(graph(['a', 'b'], [['a', 'b', 2]]));
    expect(result.hubs).to.deep.equal({ a: 1, b: 0 });
    expect(result.authorities).to.deep.equal({ a: 0, b: 1 });
    const empty = hits(graph(['a', 'b'], []));
    expect(empty.hubs).to.equal(null);
    expect(empty.reason).to.match(/without edges/);
  });

  it('Katz: exact on a DAG, null with a reason when the series diverges', () => {
    // x_a = β = 1, x_b = α·2·1 + 1 = 1.2, then divided by ‖(1, 1.2)‖.
    const values = katz(graph(['a', 'b'], [['a', 'b', 2]])).values!;
    expect(values.a).to.be.closeTo(1 / Math.hypot(1, 1.2), 1e-12);
    expect(values.b).to.be.closeTo(1.2 / Math.hypot(1, 1.2), 1e-12);
    // 2-cycle of weight 20: largest eigenvalue 20, α·20 = 2 > 1.
    const divergent = katz(graph(['a', 'b'], [['a', 'b', 20], ['b', 'a', 20]]));
    expect(divergent.values).to.equal(null);
    expect(divergent.reason).to.match(/did not converge/);
  });

  it('eigenvector: defined on a strongly connected graph only', () => {
    const cycle = eigenvector(graph(['a', 'b'], [['a', 'b', 1], ['b', 'a', 1]]));
    expect(cycle.values!.a).to.be.closeTo(Math.SQRT1_2, 1e-9);
    const dag = eigenvector(graph(['a', 'b'], [['a', 'b', 1]]));
    expect(dag.values).to.equal(null);
    expect(dag.reason).to.match(/strongly connected/);
    const unequal = graph(['a', 'b', 'c'], [['a', 'b', 1], ['b', 'c', 3], ['c', 'a', 0.2], ['a', 'c', 2]]);
    const cut = eigenvector(unequal, { maxIterations: 2 });
    expect(cut.values).to.equal(null);
    expect(cut.reason).to.match(/did not converge in 2 iterations/);
    expect(eigenvector(unequal).values).to.not.equal(null);
  });

  it('modularity of two separate edges is 1/2, and a non-partition is refused', () => {
    // Each community: inside 1/2, minus (1·1)/2² = 1/4 → 1/4 + 1/4.
    const g = graph(['a', 'b', 'c', 'd'], [['a', 'b', 1], ['c', 'd', 1]]);
    expect(modularity(g, { communities: [['a', 'b'], ['c', 'd']] })).to.equal(0.5);
    expect(modularity(g, { communities: [['a', 'b', 'c', 'd']] })).to.equal(0);
    expect(() => modularity(g, { communities: [['a', 'b'], ['c']] })).to.throw(OptionError, /d is in no community/);
    expect(() => modularity(g, { communities: [['a', 'b'], ['b', 'c', 'd']] })).to.throw(OptionError, /more than one/);
  });

  it('density and assortativity edge cases', () => {
    expect(density(graph(['a', 'b', 'c'], [['a', 'b', 1], ['b', 'c', 1]]))).to.equal(2 / 6);
    expect(density(graph(['a'], []))).to.equal(0);
    // One edge: no correlation to speak of.
    expect(strengthAssortativity(graph(['a', 'b'], [['a', 'b', 1]])).value).to.equal(null);
    // a→c (1), b→d (2): x = (1, 2), y = (1, 2) → r = 1.
    expect(strengthAssortativity(graph(['a', 'b', 'c', 'd'], [['a', 'c', 1], ['b', 'd', 2]])).value).to.be.closeTo(1, 1e-15);
  });

  it('roles: top-k by out-strength, in-strength and betweenness; LOGITS and zeros have no role', () => {
    const g = graphFromInfluence({
      nodes: ['L0H0', 'L0H1', 'L1H0', 'L2H0', 'LOGITS'],
      matrix: [
        [0, 0, 0.9, 0.1, 0.2],
        [0, 0, 0.3, 0.1, 0.1],
        [0, 0, 0, 0.8, 0.1],
        [0, 0, 0, 0, 0.9],
        [0, 0, 0, 0, 0],
      ],
    });
    const r = roles(g, { k: 2 });
    expect(r.spreaders).to.deep.equal(['L0H0', 'L1H0']); // 1.2, 0.9 (L2H0 0.9 ties, later in node order)
    expect(r.gatherers).to.deep.equal(['L1H0', 'L2H0']); // LOGITS (1.3) is not a component
    // Lengths 1/w. L1H0 lies on the shortest paths L0H0→L2H0 (2.36 < 10), L0H0→LOGITS (3.47 < 5),
    // L0H1→L2H0 (4.58 < 10), L0H1→LOGITS (5.69 < 10): 4 pairs. L2H0 on L0H0→LOGITS, L0H1→LOGITS,
    // L1H0→LOGITS (2.36 < 10): 3 pairs. The L0 heads lie on no path.
    expect(r.gatekeepers).to.deep.equal(['L1H0', 'L2H0']);
    expect(roles(g, { k: 5 }).gatekeepers).to.deep.equal(['L1H0', 'L2H0']);
    expect(() => roles(g, { k: 0 })).to.throw(OptionError);
  });

  it('analyzeGraph: the CLI layout, nulls with notes, pure and deterministic', () => {
    const g = graph(['a', 'b', 'c'], [['a', 'b', 1], ['b', 'c', 1], ['a', 'c', 0.5]]);
    const before = JSON.stringify(g.export());
    const report = analyzeGraph(g);
    expect(JSON.stringify(g.export())).to.equal(before);
    expect(analyzeGraph(g)).to.deep.equal(report);
    expect(Object.keys(report)).to.deep.equal(['nodes', 'graph', 'roles', 'settings']);
    expect(Object.keys(report.nodes.a)).to.deep.equal([
      'in_strength', 'out_strength', 'in_degree', 'out_degree', 'pagerank', 'hub', 'authority', 'betweenness',
      'closeness_in', 'closeness_out', 'clustering', 'katz', 'eigenvector',
    ]);
    expect(Object.keys(report.graph.weights)).to.include.members(['gini', 'entropy', 'skewness', 'top10_share', 'tail_alpha', 'tail_xmin', 'tail_ks']);
    expect(report.nodes.a.eigenvector).to.equal(null);
    expect(report.graph.notes.eigenvector).to.match(/strongly connected/);
    expect(report.graph.weights.tail_alpha).to.equal(null); // 3 edges < the minimum tail of 10
    expect(report.graph.notes.tail).to.match(/at least 10/);
    expect(report.settings.louvain_seed).to.equal(DEFAULTS.louvain.seed);
    expect(report.settings.pagerank_alpha).to.equal(0.85);
    expect(analyzeGraph(g, { louvain: { seed: undefined }, distance: undefined }).settings).to.deep.equal(report.settings);
  });

  it('analyzeGraph on a graph without edges: defined values, nulls with reasons', () => {
    const report = analyzeGraph(graph(['a', 'b'], []));
    expect(report.nodes.a.pagerank).to.equal(0.5);
    expect(report.graph.modularity).to.equal(null);
    expect(report.graph.communities).to.deep.equal([['a'], ['b']]);
    expect(report.graph.weights.gini).to.equal(null);
    expect(report.roles).to.deep.equal({ spreaders: [], gatherers: [], gatekeepers: [] });
    expect(report.graph.notes).to.have.keys(['hits', 'eigenvector', 'strength_assortativity', 'modularity', 'tail']);
  });
});
