/**
 * Every metric against networkx 2.8.8 on the four golden graphs of test/fixtures/graphs (values
 * and the exact networkx call behind each are in the fixture files).
 */
import { expect } from 'chai';
import { analyzeGraph } from '../../lib/network/analyze.js';
import { strengthAssortativity } from '../../lib/network/assortativity.js';
import { averageClustering } from '../../lib/network/average-clustering.js';
import { betweenness } from '../../lib/network/betweenness.js';
import { closeness } from '../../lib/network/closeness.js';
import { clustering } from '../../lib/network/clustering.js';
import { degree } from '../../lib/network/degree.js';
import { density } from '../../lib/network/density.js';
import { graphFromEdgeList } from '../../lib/network/edge-list-graph.js';
import { eigenvector } from '../../lib/network/eigenvector.js';
import { hits } from '../../lib/network/hits.js';
import { katz } from '../../lib/network/katz.js';
import { louvain } from '../../lib/network/louvain.js';
import { modularity } from '../../lib/network/modularity.js';
import { pagerank } from '../../lib/network/pagerank.js';
import { strength } from '../../lib/network/strength.js';
import { totalWeight } from '../../lib/network/total-weight.js';
import { expectClose, expectNodeValuesClose, GRAPH_FIXTURES, loadGraphFixture } from './helpers.js';

type Values = Record<string, number>;

for (const name of GRAPH_FIXTURES) {
  describe(`network metrics vs networkx: ${name}`, () => {
    const fixture = loadGraphFixture(name);
    const m = fixture.metrics as Record<string, unknown> & typeof fixture.metrics;
    const graph = graphFromEdgeList(fixture);
    const isDag = name.startsWith('component-dag');

    it('builds the graph with every node and edge of the fixture', () => {
      expect(graph.nodes()).to.deep.equal(fixture.nodes);
      expect(graph.size).to.equal(fixture.edges.length);
    });

    it('in/out strength and degree', () => {
      expectNodeValuesClose(strength(graph, { direction: 'in' }), m.in_strength as Values, 'in_strength');
      expectNodeValuesClose(strength(graph, { direction: 'out' }), m.out_strength as Values, 'out_strength');
      expect(degree(graph, { direction: 'in' })).to.deep.equal(m.in_degree);
      expect(degree(graph, { direction: 'out' })).to.deep.equal(m.out_degree);
    });

    it('PageRank (alpha 0.85, weighted, dangling nodes uniform)', () => {
      expectNodeValuesClose(pagerank(graph), m.pagerank as Values, 'pagerank');
    });

    it('HITS hubs and authorities (each normalised to sum 1)', () => {
      const result = hits(graph);
      expect(result.reason).to.equal(null);
      expectNodeValuesClose(result.hubs, m.hits_hubs as Values, 'hubs');
      expectNodeValuesClose(result.authorities, m.hits_authorities as Values, 'authorities');
    });

    it('betweenness with distance 1/w, normalized and raw', () => {
      expectNodeValuesClose(betweenness(graph), m.betweenness as Values, 'betweenness');
      expectNodeValuesClose(betweenness(graph, { normalized: false }), m.betweenness_raw as Values, 'betweenness_raw');
    });

    it('closeness incoming and outgoing (distance 1/w, wf_improved)', () => {
      expectNodeValuesClose(closeness(graph, { direction: 'in' }), m.closeness_incoming as Values, 'closeness_in');
      expectNodeValuesClose(closeness(graph, { direction: 'out' }), m.closeness_outgoing as Values, 'closeness_out');
    });

    it('weighted directed clustering (Fagiolo) and its average', () => {
      const perNode = clustering(graph);
      expectNodeValuesClose(perNode, m.clustering_weighted as Values, 'clustering');
      expectClose(averageClustering(graph), m.average_clustering_weighted as number, 'average_clustering');
    });

    it('Katz (alpha 0.1, beta 1, normalised)', () => {
      const result = katz(graph);
      expect(result.reason).to.equal(null);
      expectNodeValuesClose(result.values, m.katz as Values, 'katz');
    });

    if (isDag) {
      it('eigenvector is null with a reason (not strongly connected)', () => {
        expect(m).to.not.have.property('eigenvector_incoming');
        const result = eigenvector(graph);
        expect(result.values).to.equal(null);
        expect(result.reason).to.match(/strongly connected/);
      });
    } else {
      it('eigenvector (incoming, strongly connected graph)', () => {
        const result = eigenvector(graph);
        expect(result.reason).to.equal(null);
        expectNodeValuesClose(result.values, m.eigenvector_incoming as Values, 'eigenvector');
      });
    }

    it('density, total weight, strength assortativity (out → in)', () => {
      expectClose(density(graph), m.density as number, 'density');
      expectClose(totalWeight(graph), m.total_weight as number, 'total_weight');
      expectClose(strengthAssortativity(graph).value, m.strength_assortativity_out_in as number, 'assortativity');
    });

    it('reproduces fixed_partition_modularity exactly', () => {
      const q = modularity(graph, { communities: m.fixed_partition });
      // Exact up to the order of floating-point summation.
      expect(Math.abs(q! - m.fixed_partition_modularity)).to.be.below(1e-12);
    });

    it("Louvain reaches at least networkx's Louvain modularity, and the same seed gives the same partition", () => {
      const first = louvain(graph, { seed: 7 });
      const second = louvain(graph, { seed: 7 });
      expect(second).to.deep.equal(first);
      expect([...first.communities.flat()].sort()).to.deep.equal([...fixture.nodes].sort());
      // Same partition, other summation order: allow float rounding only.
      expect(first.modularity!).to.be.at.least(m.louvain_reference_modularity - 1e-12);
      expect(first.modularity).to.equal(modularity(graph, { communities: first.communities }));
      const byDefault = louvain(graph);
      expect(byDefault.modularity!).to.be.at.least(m.louvain_reference_modularity - 1e-12);
    });

    it('analyzeGraph reports the same values in the CLI layout', () => {
      const report = analyzeGraph(graph);
      const node = fixture.nodes[fixture.nodes.length - 1];
      expectClose(report.nodes[node].pagerank, (m.pagerank as Values)[node], 'report pagerank');
      expectClose(report.nodes[node].closeness_in, (m.closeness_incoming as Values)[node], 'report closeness_in');
      expectClose(report.nodes[node].katz, (m.katz as Values)[node], 'report katz');
      expectClose(report.graph.density, m.density as number, 'report density');
      expectClose(report.graph.average_clustering, m.average_clustering_weighted as number, 'report average_clustering');
      expect(report.graph.modularity!).to.be.at.least(m.louvain_reference_modularity - 1e-12);
      if (isDag) {
        expect(report.nodes[node].eigenvector).to.equal(null);
        expect(report.graph.notes.eigenvector).to.match(/strongly connected/);
      } else {
        expectClose(report.nodes[node].eigenvector, (m.eigenvector_incoming as Values)[node], 'report eigenvector');
      }
    });
  });
}
