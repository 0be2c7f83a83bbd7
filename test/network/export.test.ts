/** Exports round-trip: GEXF and GraphML through graphology's own parsers, JSON and CSV by hand. */
import { expect } from 'chai';
import { DirectedGraph } from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { parse as parseGraphml } from 'graphology-graphml';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { graphFromEdgeList } from '../../lib/network/edge-list-graph.js';
import { exportFormatOf, exportGraph, writeGraphExport } from '../../lib/network/export.js';
import { graphFromInfluence } from '../../lib/network/influence-graph.js';
import type { ComponentGraph } from '../../lib/network/types.js';
import { OptionError } from '../../lib/util/errors.js';
import { INFLUENCE_FIXTURE } from './helpers.js';

function influenceGraph(): ComponentGraph {
  return graphFromInfluence(JSON.parse(readFileSync(INFLUENCE_FIXTURE, 'utf8')));
}

/** [source, target, weight] of every edge of a serialised graph (`graph.export()`), sorted. */
function edgeTriples(serialized: { edges: { source: string; target: string; attributes?: { weight?: unknown } }[] }): [string, string, number][] {
  return serialized.edges
    .map((e) => [e.source, e.target, e.attributes?.weight as number] as [string, string, number])
    .sort((a, b) => (a[0] + '>' + a[1]).localeCompare(b[0] + '>' + b[1]));
}

describe('network: exports', () => {
  const graph = influenceGraph();

  it('GEXF round-trips through graphology-gexf: nodes, attributes, edges, exact weights', () => {
    const text = exportGraph(graph, 'gexf');
    expect(text).to.match(/<gexf /);
    const back = parseGexf(DirectedGraph, text);
    expect(back.type).to.equal('directed');
    expect(back.nodes()).to.deep.equal(graph.nodes());
    expect(edgeTriples(back.export())).to.deep.equal(edgeTriples(graph.export()));
    expect(back.getNodeAttribute('L1H2', 'layer')).to.equal(1);
    expect(back.getNodeAttribute('L1H2', 'head')).to.equal(2);
    expect(back.getNodeAttribute('L2MLP', 'kind')).to.equal('mlp');
  });

  it('GraphML round-trips through graphology-graphml: nodes, attributes, edges, exact weights', () => {
    const text = exportGraph(graph, 'graphml');
    const back = parseGraphml(DirectedGraph, text);
    expect(back.type).to.equal('directed');
    expect(back.nodes()).to.deep.equal(graph.nodes());
    expect(edgeTriples(back.export())).to.deep.equal(edgeTriples(graph.export()));
    expect(back.getNodeAttributes('L0H3')).to.include({ layer: 0, head: 3, kind: 'head' });
    expect(back.getNodeAttributes('LOGITS')).to.deep.equal({ kind: 'logits' });
  });

  it('GraphML escapes XML in ids', () => {
    const odd = graphFromEdgeList({ nodes: ['a<&>"b', "c'd"], edges: [{ source: 'a<&>"b', target: "c'd", weight: 0.1 }] });
    const back = parseGraphml(DirectedGraph, exportGraph(odd, 'graphml'));
    expect(back.nodes()).to.deep.equal(['a<&>"b', "c'd"]);
    expect(edgeTriples(back.export())).to.deep.equal([['a<&>"b', "c'd", 0.1]]);
  });

  it('JSON is the edge-list format graphFromEdgeList reads back', () => {
    const back = graphFromEdgeList(JSON.parse(exportGraph(graph, 'json')));
    expect(back.nodes()).to.deep.equal(graph.nodes());
    expect(edgeTriples(back.export())).to.deep.equal(edgeTriples(graph.export()));
    expect(back.getNodeAttributes('L1MLP')).to.deep.equal(graph.getNodeAttributes('L1MLP'));
  });

  it('CSV is source,target,weight with exact weights and RFC 4180 quoting', () => {
    const lines = exportGraph(graph, 'csv').trimEnd().split('\n');
    expect(lines[0]).to.equal('source,target,weight');
    const triples = lines.slice(1).map((line) => {
      const [s, t, w] = line.split(',');
      return [s, t, Number(w)] as [string, string, number];
    });
    expect(triples.sort((a, b) => (a[0] + '>' + a[1]).localeCompare(b[0] + '>' + b[1]))).to.deep.equal(edgeTriples(graph.export()));
    const quoted = graphFromEdgeList({ nodes: ['a,b', 'c"d'], edges: [{ source: 'a,b', target: 'c"d', weight: 2 }] });
    expect(exportGraph(quoted, 'csv')).to.equal('source,target,weight\n"a,b","c""d",2\n');
  });

  it('picks the format from the file extension and writes the file', async () => {
    expect(exportFormatOf('x/graph.GEXF')).to.equal('gexf');
    expect(exportFormatOf('g.graphml')).to.equal('graphml');
    expect(() => exportFormatOf('g.xml')).to.throw(OptionError, /\.gexf, \.graphml, \.json or \.csv/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-network-'));
    try {
      const file = path.join(dir, 'sub', 'g.csv');
      await writeGraphExport(graph, file);
      expect(readFileSync(file, 'utf8')).to.equal(exportGraph(graph, 'csv'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
