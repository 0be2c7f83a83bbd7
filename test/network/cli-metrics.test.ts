/** `cntlens metrics`, run as users run it: `cntlens metrics ...` in a child process (test/cli/bin.ts). */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectedGraph } from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { command } from '../../lib/cli/commands/metrics.js';
import { OptionError } from '../../lib/util/errors.js';
import { expectClose, graphFixturePath, INFLUENCE_FIXTURE, loadGraphFixture, REPO_ROOT } from './helpers.js';
import { CLI_ARGS } from '../cli/bin.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cntlens(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI_ARGS, 'metrics', ...args], { cwd: REPO_ROOT },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
  });
}

describe('cntlens metrics (CLI)', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-metrics-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--graph: writes --out and --export files; values match networkx', async () => {
    const out = path.join(dir, 'cyclic.json');
    const gexf = path.join(dir, 'cyclic.gexf');
    const csv = path.join(dir, 'cyclic.csv');
    const run = await cntlens(['--graph', graphFixturePath('cyclic-7'), '--out', out, '--export', gexf, '--export', csv]);
    expect(run.stderr).to.equal('');
    expect(run.code).to.equal(0);
    expect(run.stdout).to.equal('');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const fixture = loadGraphFixture('cyclic-7');
    const m = fixture.metrics as Record<string, Record<string, number>>;
    for (const node of fixture.nodes) {
      expectClose(report.nodes[node].pagerank, m.pagerank[node], `pagerank ${node}`);
      expectClose(report.nodes[node].hub, m.hits_hubs[node], `hub ${node}`);
      expectClose(report.nodes[node].betweenness, m.betweenness[node], `betweenness ${node}`);
      expectClose(report.nodes[node].closeness_out, m.closeness_outgoing[node], `closeness_out ${node}`);
      expectClose(report.nodes[node].clustering, m.clustering_weighted[node], `clustering ${node}`);
      expectClose(report.nodes[node].eigenvector, m.eigenvector_incoming[node], `eigenvector ${node}`);
    }
    expectClose(report.graph.strength_assortativity, fixture.metrics.strength_assortativity_out_in as number, 'assortativity');
    expect(report.graph.modularity).to.be.at.least(fixture.metrics.louvain_reference_modularity - 1e-12);
    expect(report.roles.spreaders).to.have.length(5);
    const back = parseGexf(DirectedGraph, readFileSync(gexf, 'utf8'));
    expect(back.size).to.equal(fixture.edges.length);
    expect(readFileSync(csv, 'utf8').trimEnd().split('\n')).to.have.length(fixture.edges.length + 1);
  });

  it('--influence to standard output, and the graph-building options', async () => {
    const [plain, shaped] = await Promise.all([
      cntlens(['--influence', INFLUENCE_FIXTURE]),
      cntlens(['--influence', INFLUENCE_FIXTURE, '--drop-logits', '--normalize', 'max', '--prune-top-k', '3',
        '--distance', 'neglog', '--roles-k', '2', '--seed', '5']),
    ]);
    expect(plain.code, plain.stderr).to.equal(0);
    const report = JSON.parse(plain.stdout);
    expect(Object.keys(report.nodes)).to.have.length(16);
    expect(report.nodes.LOGITS.out_degree).to.equal(0);
    expect(report.nodes.L0H0.eigenvector).to.equal(null);
    expect(report.graph.notes.eigenvector).to.match(/strongly connected/);
    expect(report.graph.edge_count).to.equal(90);
    expect(shaped.code, shaped.stderr).to.equal(0);
    const small = JSON.parse(shaped.stdout);
    expect(small.nodes).to.not.have.property('LOGITS');
    expect(small.graph.node_count).to.equal(15);
    // Top-3 out-edges per node: 5 L0 nodes × 3 + 5 L1 nodes × 3 (the L2 nodes only fed LOGITS).
    expect(small.graph.edge_count).to.equal(30);
    expect(small.roles.spreaders).to.have.length(2);
    expect(small.settings).to.include({ distance: 'neglog', louvain_seed: 5, roles_k: 2 });
    expect(small.settings.graph).to.include({ logits: 'drop', normalize: 'max' });
    expect(Math.max(...Object.values(small.nodes).map((n) => (n as { out_strength: number }).out_strength))).to.be.at.most(3);
  });

  it('bad input: exit 1, one line naming the file, no stack trace, no output file', async () => {
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const notJson = write('not-json.json', '{"nodes": [');
    const nanWeight = write('nan.json', '{"nodes": ["L0H0", "L1H0"], "matrix": [[0, NaN], [0, 0]]}');
    const unknownNode = write('unknown.json', JSON.stringify({ nodes: ['a', 'b'], edges: [{ source: 'a', target: 'c', weight: 1 }] }));
    const nonSquare = write('nonsquare.json', JSON.stringify({ nodes: ['L0H0', 'L1H0'], matrix: [[0, 1], [0, 0, 0]] }));
    const missing = path.join(dir, 'missing.json');
    const out = path.join(dir, 'never.json');
    const cases: [string[], RegExp][] = [
      [['--graph', missing], new RegExp(`${missing}: no such file`)],
      [['--graph', notJson], new RegExp(`${notJson}: not valid JSON`)],
      [['--influence', nanWeight], new RegExp(`${nanWeight}: contains NaN`)],
      [['--graph', unknownNode], new RegExp(`${unknownNode}: edges\\[0\\]\\.target "c" is not a node`)],
      [['--influence', nonSquare], new RegExp(`${nonSquare}: "matrix" row 1 has 3 entries, expected 2`)],
      [['--graph', graphFixturePath('cyclic-7'), '--influence', INFLUENCE_FIXTURE], /give exactly one input/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cntlens([...args, '--out', out])));
    runs.forEach((run, i) => {
      const what = cases[i][0].join(' ');
      expect(run.code, what).to.equal(1);
      expect(run.stderr, what).to.match(/^cntlens metrics: /);
      expect(run.stderr, what).to.match(cases[i][1]);
      expect(run.stderr.trimEnd().split('\n'), what).to.have.length(1);
      expect(run.stdout, what).to.equal('');
    });
    expect(existsSync(out)).to.equal(false);
  });

  // Option checking happens inside the command; run it in-process to keep the suite fast.
  it('refuses bad options before any work (OptionError / parseArgs errors)', async () => {
    const graph = graphFixturePath('cyclic-7');
    const out = path.join(dir, 'never-either.json');
    const cases: [string[], RegExp][] = [
      [['--influence', graph], /is not a component id/],
      [['--graph', graph, '--normalize', 'l2'], /--normalize: expected one of none, max, sum, got "l2"/],
      [['--graph', graph, '--prune-top-k', '2', '--prune-threshold', '0.1'], /only one pruning rule/],
      [['--graph', graph, '--prune-percentile', '120'], /--prune-percentile: expected a number >= 0 and <= 100/],
      [['--graph', graph, '--prune-direction', 'in'], /only applies with --prune-top-k/],
      [['--graph', graph, '--roles-k', '1.5'], /--roles-k: expected an integer >= 1/],
      [['--graph', graph, '--seed', 'x'], /--seed: expected an integer/],
      [['--graph', graph, '--distance', 'hops'], /--distance: expected one of inverse, neglog/],
      [['--graph', graph, '--export', path.join(dir, 'g.xml')], /cannot tell the format/],
      [['--graph', graph, '--bogus'], /Unknown option '--bogus'/],
      [[], /give exactly one input/],
    ];
    for (const [args, message] of cases) {
      let error: unknown = null;
      try {
        await command.run([...args, '--out', out]);
      } catch (err) {
        error = err;
      }
      expect(error, args.join(' ')).to.be.an('error');
      expect((error as Error).message, args.join(' ')).to.match(message);
    }
    expect(existsSync(out)).to.equal(false);
  });

  it('an output that cannot be written is an error naming the file', async () => {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, '');
    for (const flag of ['--out', '--export']) {
      const target = path.join(blocker, flag === '--out' ? 'm.json' : 'g.gexf');
      let error: unknown = null;
      try {
        await command.run(['--graph', graphFixturePath('cyclic-7'), flag, target]);
      } catch (err) {
        error = err;
      }
      // Refused before any work (the output-path policy), naming the option, the path and why.
      expect(error, flag).to.be.instanceOf(OptionError);
      expect((error as Error).message, flag).to.equal(`${flag}: ${target} cannot be written: ${blocker} is a file, not a folder`);
    }
  });

  it('usage names every option the command accepts', () => {
    for (const flag of ['--graph', '--influence', '--out', '--export', '--drop-logits', '--negative', '--prune-threshold',
      '--prune-percentile', '--prune-top-k', '--prune-direction', '--normalize', '--distance', '--roles-k', '--seed',
      '--louvain-restarts']) {
      expect(command.usage).to.include(flag);
    }
  });
});
