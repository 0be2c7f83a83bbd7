/**
 * Acceptance: the contents of a results folder. One run over a small series, figures on, and each
 * file checked for being there and well-formed: manifest.json, influence/<step>.json,
 * graphs/<step>.gexf (parsed with graphology-gexf), metrics.csv, nodes.csv, phases.json,
 * report.html and the SVG + PNG figures; and the files agree with each other.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectedGraph } from 'graphology';
import { parse as parseGexf } from 'graphology-gexf';
import { fastExperimentSettings, makeCheckpointSeries, REPO_ROOT, writeConfigFile } from './helpers.js';
import { expectedCheckpointHash, readCsv, runCli } from './helpers-resume.js';

const STEPS = [0, 1000, 2000, 3000, 4000, 5000];
/** The tiny model's components: 3 layers × (4 heads + MLP), and the logits. */
const NODES = ['L0H0', 'L0H1', 'L0H2', 'L0H3', 'L0MLP', 'L1H0', 'L1H1', 'L1H2', 'L1H3', 'L1MLP', 'L2H0', 'L2H1', 'L2H2', 'L2H3', 'L2MLP', 'LOGITS'];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Manifest {
  format: string;
  version: number;
  settings: Record<string, unknown>;
  versions: { cntlens: string; tfjs: string; node: string };
  backend: string;
  checkpoints: { name: string; step: number; dir: string; hash: string; status: string; seconds?: number }[];
  files: { figures: { name: string; svg: string; png: string }[] } & Record<string, unknown>;
  timings: Record<string, number>;
}

interface Influence {
  nodes: string[];
  matrix: number[][];
  settings: { step: number; checkpoint: string };
}

interface RecordFile {
  step: number;
  behaviour: { loss_repeated: number | null; icl_score: number | null; induction_score_max: number | null };
  metrics: { graph: { density: number; modularity: number } };
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('experiment results folder', function () {
  this.timeout(900_000);
  let tmp: string;
  let seriesDir: string;
  let out: string;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-results-'));
    seriesDir = path.join(tmp, 'series');
    makeCheckpointSeries(seriesDir, STEPS.length, { steps: STEPS });
    const configFile = writeConfigFile(path.join(tmp, 'settings.json'), fastExperimentSettings({ workers: 1, report: { figures: true }, phases: { penalty: 1 } }));
    out = path.join(tmp, 'results');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', seriesDir, '--out', out, '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('holds the documented files and folders', () => {
    const top = readdirSync(out).sort();
    for (const entry of ['figures', 'graphs', 'influence', 'manifest.json', 'metrics.csv', 'nodes.csv', 'phases.json', 'records', 'report.html']) {
      expect(top).to.include(entry);
    }
    const perStep = (ext: string): string[] => STEPS.map((s) => `${s}.${ext}`).sort();
    expect(readdirSync(path.join(out, 'influence')).sort()).to.deep.equal(perStep('json'));
    expect(readdirSync(path.join(out, 'graphs')).sort()).to.deep.equal(perStep('gexf'));
    expect(readdirSync(path.join(out, 'records')).sort()).to.deep.equal(perStep('json'));
  });

  it('manifest.json: settings, versions, backend, checkpoint hashes and timings', () => {
    const m = readJson<Manifest>(path.join(out, 'manifest.json'));
    expect(m.format).to.equal('cntlens-results');
    expect(m.version).to.equal(1);
    expect(m.settings).to.include({ checkpoints: seriesDir, out, backend: 'wasm' });
    expect(m.settings.task).to.deep.include({ nPrompts: 2, halfLen: 8 });
    expect(m.versions).to.deep.equal({
      cntlens: readJson<{ version: string }>(path.join(REPO_ROOT, 'package.json')).version,
      tfjs: readJson<{ version: string }>(path.join(REPO_ROOT, 'node_modules', '@tensorflow', 'tfjs', 'package.json')).version,
      node: process.version,
    });
    expect(m.backend).to.equal('wasm');
    expect(m.checkpoints.map((c) => [c.name, c.step, c.dir, c.hash, c.status])).to.deep.equal(
      STEPS.map((s) => [`step${s}`, s, path.join(seriesDir, `step${s}`), expectedCheckpointHash(path.join(seriesDir, `step${s}`)), 'computed']),
    );
    for (const c of m.checkpoints) expect(c.seconds).to.be.a('number').and.be.greaterThan(0);
    expect(m.timings.per_checkpoint_stage_s).to.be.a('number').and.be.greaterThan(0);
    expect(m.timings.series_stage_s).to.be.a('number').and.be.greaterThan(0);
  });

  it('influence/<step>.json: the sweep of that checkpoint, a square matrix over the components', () => {
    for (const step of STEPS) {
      const inf = readJson<Influence>(path.join(out, 'influence', `${step}.json`));
      expect(inf.nodes).to.deep.equal(NODES);
      expect(inf.matrix).to.have.length(NODES.length);
      for (const row of inf.matrix) {
        expect(row).to.have.length(NODES.length);
        for (const w of row) expect(Number.isFinite(w) && w >= 0, String(w)).to.equal(true);
      }
      expect(inf.settings).to.include({ step, checkpoint: `step${step}` });
    }
  });

  it('graphs/<step>.gexf: parses with graphology-gexf, one edge per non-zero influence, exact weights', () => {
    for (const step of STEPS) {
      const inf = readJson<Influence>(path.join(out, 'influence', `${step}.json`));
      const graph = parseGexf(DirectedGraph, readFileSync(path.join(out, 'graphs', `${step}.gexf`), 'utf8'));
      expect(graph.nodes().sort()).to.deep.equal([...NODES].sort());
      const expected: string[] = [];
      inf.nodes.forEach((source, i) => inf.nodes.forEach((target, j) => {
        if (inf.matrix[i][j] !== 0) expected.push(`${source}->${target}=${inf.matrix[i][j]}`);
      }));
      const edges = graph.mapEdges((_e, attributes, source, target) => `${source}->${target}=${attributes.weight as number}`);
      expect(edges.sort()).to.deep.equal(expected.sort());
      expect(edges.length).to.be.greaterThan(0);
    }
  });

  it('metrics.csv: a row per checkpoint; step, behaviour, then one column per graph metric', () => {
    const { header, rows } = readCsv(path.join(out, 'metrics.csv'));
    expect(header.slice(0, 4)).to.deep.equal(['step', 'loss_repeated', 'icl_score', 'induction_score_max']);
    const graphColumns = header.slice(4);
    expect(graphColumns).to.include.members(['density', 'total_weight', 'modularity', 'communities', 'gini', 'entropy']);
    expect(new Set(header).size).to.equal(header.length);
    expect(rows.map((r) => r[0])).to.deep.equal(STEPS.map(String));
    for (const row of rows) {
      expect(row).to.have.length(header.length);
      for (const cell of row) expect(cell === '' || Number.isFinite(Number(cell)), cell).to.equal(true);
      const record = readJson<RecordFile>(path.join(out, 'records', `${row[0]}.json`));
      const value = (column: string): number => Number(row[header.indexOf(column)]);
      expect(value('loss_repeated')).to.equal(record.behaviour.loss_repeated);
      expect(value('icl_score')).to.equal(record.behaviour.icl_score);
      expect(value('induction_score_max')).to.equal(record.behaviour.induction_score_max);
      expect(value('density')).to.equal(record.metrics.graph.density);
      expect(value('modularity')).to.equal(record.metrics.graph.modularity);
    }
  });

  it('nodes.csv: a row per checkpoint × component, a column per node metric', () => {
    const { header, rows } = readCsv(path.join(out, 'nodes.csv'));
    expect(header.slice(0, 2)).to.deep.equal(['step', 'node']);
    expect(header).to.include.members(['in_strength', 'out_strength', 'pagerank', 'betweenness', 'delta_loss']);
    expect(rows).to.have.length(STEPS.length * NODES.length);
    expect(rows.map((r) => `${r[0]}/${r[1]}`)).to.deep.equal(STEPS.flatMap((s) => NODES.map((n) => `${s}/${n}`)));
    for (const row of rows) {
      expect(row).to.have.length(header.length);
      for (const cell of row.slice(2)) expect(cell === '' || Number.isFinite(Number(cell)), cell).to.equal(true);
    }
  });

  it('phases.json: boundaries, phases covering the series, confidence per boundary, settings', () => {
    const p = readJson<{ boundaries: number[]; phases: { start: number; end: number; label: string }[]; confidence: number[]; settings: Record<string, unknown> }>(path.join(out, 'phases.json'));
    // A small penalty (the settings above), so that there are boundaries to check.
    expect(p.boundaries).to.be.an('array');
    expect(p.boundaries.length).to.be.greaterThan(0);
    expect(p.boundaries).to.deep.equal([...p.boundaries].sort((a, b) => a - b));
    for (const b of p.boundaries) expect(STEPS).to.include(b);
    expect(p.confidence).to.have.length(p.boundaries.length);
    for (const c of p.confidence) expect(c >= 0 && c <= 1, String(c)).to.equal(true);
    expect(p.phases).to.have.length(p.boundaries.length + 1);
    expect(p.phases[0].start).to.equal(STEPS[0]);
    expect(p.phases[p.phases.length - 1].end).to.equal(STEPS[STEPS.length - 1]);
    for (const phase of p.phases) expect(phase.label).to.be.a('string').and.not.equal('');
    expect(p.settings).to.be.an('object');
    expect(p.settings).to.include({ method: 'pelt', penalty: 1, minSize: 2 });
    for (let i = 1; i < p.phases.length; i++) expect(p.phases[i].start).to.equal(p.boundaries[i - 1]);
  });

  it('report.html and the figures: a self-contained page, an SVG and a PNG per figure', () => {
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html.slice(0, 15).toLowerCase()).to.equal('<!doctype html>');
    expect(html.trimEnd().endsWith('</html>')).to.equal(true);
    expect(html).to.not.match(/<script[^>]*\bsrc=/i);
    for (const s of STEPS) expect(html).to.include(`step${s}`);

    const m = readJson<Manifest>(path.join(out, 'manifest.json'));
    expect(m.files.figures.length).to.be.greaterThan(0);
    const listed: string[] = [];
    for (const f of m.files.figures) {
      expect([f.svg, f.png]).to.deep.equal([`figures/${f.name}.svg`, `figures/${f.name}.png`]);
      listed.push(`${f.name}.svg`, `${f.name}.png`);
      const svg = readFileSync(path.join(out, f.svg), 'utf8');
      expect(svg).to.match(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
      expect(svg.trimEnd().endsWith('</svg>')).to.equal(true, f.svg);
      const png = readFileSync(path.join(out, f.png));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).to.equal(true, f.png);
      expect(png.subarray(12, 16).toString('latin1')).to.equal('IHDR');
      expect(png.readUInt32BE(16)).to.be.greaterThan(0); // width
      expect(png.readUInt32BE(20)).to.be.greaterThan(0); // height
      expect(png.subarray(-8, -4).toString('latin1')).to.equal('IEND');
    }
    expect(readdirSync(path.join(out, 'figures')).sort()).to.deep.equal(listed.sort());
  });
});
