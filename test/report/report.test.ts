import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import {
  alignCommunities, alluvialLayout, communityFlows, formatStep, layoutNodes, parseNodeId, rankNodes, strongestEdges,
  textInkFraction, validateReportData, writeReport, type ReportCheckpoint, type ReportData, type ReportOutput,
} from '../../lib/report/index.js';
import { chooseStepScale, phaseBands, symlogTicks } from '../../lib/report/derive.js';
import { InputError, OptionError } from '../../lib/util/errors.js';
import { syntheticReportData } from './synthetic.js';

const CHROMIUM = '/usr/bin/chromium';
const GREY_CELL = '#f1f1f1'; // heatmap fill of a zero (no-edge) cell

function ck(step: number, matrix: number[][], extra: Partial<ReportCheckpoint> = {}): ReportCheckpoint {
  return { step, metrics: {}, matrix, ...extra };
}

function countZeros(matrix: number[][]): number {
  let zeros = 0;
  for (const row of matrix) for (const w of row) if (w === 0) zeros++;
  return zeros;
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('report: node ids and layout', () => {
  it('parses the cntlens node-id convention', () => {
    expect(parseNodeId('L3H11')).to.deep.equal({ id: 'L3H11', kind: 'head', layer: 3, head: 11 });
    expect(parseNodeId('L0MLP')).to.deep.equal({ id: 'L0MLP', kind: 'mlp', layer: 0, head: null });
    expect(parseNodeId('L2ATTN')).to.deep.equal({ id: 'L2ATTN', kind: 'attn', layer: 2, head: null });
    expect(parseNodeId('LOGITS').kind).to.equal('logits');
    expect(parseNodeId('L1H').kind).to.equal('other');
  });

  it('lays out layers as columns: heads by index, MLP below, LOGITS after the last layer', () => {
    const layout = layoutNodes(['L0H0', 'L0H1', 'L0MLP', 'L1H0', 'L1H1', 'L1MLP', 'LOGITS']);
    expect(layout.columnLabels).to.deep.equal(['Layer 0', 'Layer 1', 'Logits']);
    expect(layout.rowLabels).to.deep.equal(['H0', 'H1', 'MLP']);
    const at = Object.fromEntries(layout.positions.map((p) => [p.id, [p.column, p.row]]));
    expect(at).to.deep.equal({ L0H0: [0, 0], L0H1: [0, 1], L0MLP: [0, 2], L1H0: [1, 0], L1H1: [1, 1], L1MLP: [1, 2], LOGITS: [2, 1] });
  });
});

describe('report: steps, phases, edges, ranks', () => {
  it('uses a symmetric-log step axis only when steps span two decades', () => {
    expect(chooseStepScale([0, 1, 2, 4, 1000, 143000])).to.equal('symlog');
    expect(chooseStepScale([1000, 2000, 3000])).to.equal('linear');
    expect(chooseStepScale([0, 10, 50], 'log')).to.equal('symlog');
    expect(chooseStepScale([0, 1, 1000], 'linear')).to.equal('linear');
    expect(symlogTicks([0, 3, 143000])).to.deep.equal([0, 1, 10, 100, 1000, 10000, 100000]);
    expect(symlogTicks([512, 4000])).to.deep.equal([1000]);
  });

  it('formats steps compactly', () => {
    expect([0, 512, 1000, 1500, 143000, 2000000].map(formatStep)).to.deep.equal(['0', '512', '1k', '1.5k', '143k', '2M']);
  });

  it('draws contiguous phase bands, each up to the next phase start', () => {
    const bands = phaseBands({
      boundaries: [64, 2000],
      phases: [{ start: 0, end: 16, label: 'a' }, { start: 64, end: 1000, label: 'b' }, { start: 2000, end: 4000, label: 'c' }],
    });
    expect(bands.map((b) => [b.label, b.from, b.to])).to.deep.equal([['a', 0, 64], ['b', 64, 2000], ['c', 2000, 4000]]);
  });

  it('selects the strongest edges by |weight| and reports their share', () => {
    const m = [
      [0, 0.5, -2],
      [0, 0, 1],
      [0, 0, 0],
    ];
    const sel = strongestEdges(m, 2);
    expect(sel.edges).to.deep.equal([{ source: 0, target: 2, weight: -2 }, { source: 1, target: 2, weight: 1 }]);
    expect(sel.nonZero).to.equal(3);
    expect(sel.share).to.be.closeTo(3 / 3.5, 1e-12);
  });

  it('ranks spreaders by row sums and gatherers by column sums, ties in node order, without zeros and exclusions', () => {
    const nodes = ['A', 'B', 'C', 'LOGITS'];
    const m = [
      [0, 1, 1, 1], // A out 3
      [0, 0, 2, 1], // B out 3 (tie with A: A first)
      [0, 0, 0, 5], // C out 5
      [0, 0, 0, 0],
    ]; // in: A 0, B 1, C 3, LOGITS 7
    expect(rankNodes(nodes, ck(0, m), 'spreaders')).to.deep.equal(['C', 'A', 'B']); // LOGITS exerts nothing
    expect(rankNodes(nodes, ck(0, m), 'gatherers', ['LOGITS'])).to.deep.equal(['C', 'B']); // A receives nothing
    expect(rankNodes(nodes, ck(0, m), 'gatherers')).to.deep.equal(['LOGITS', 'C', 'B']);
  });

  it('ranks by |weight|: a negative influence is still influence', () => {
    const m = [[0, -3, 1], [0, 0, 2], [0, 0, 0]];
    expect(rankNodes(['A', 'B', 'C'], ck(0, m), 'spreaders')).to.deep.equal(['A', 'B']);
    expect(rankNodes(['A', 'B', 'C'], ck(0, m), 'gatherers')).to.deep.equal(['B', 'C']); // |−3| = 1 + 2: a tie, node order
  });

  it('prefers out_strength from nodeMetrics when every node has it', () => {
    const nodes = ['A', 'B'];
    const m = [[0, 1], [0, 0]];
    const nodeMetrics = { A: { out_strength: 0.1 }, B: { out_strength: 0.9 } };
    expect(rankNodes(nodes, ck(0, m, { nodeMetrics }), 'spreaders')).to.deep.equal(['B', 'A']);
    // One node missing the metric: fall back to the matrix.
    expect(rankNodes(nodes, ck(0, m, { nodeMetrics: { A: { out_strength: 0.1 } } }), 'spreaders')).to.deep.equal(['A']);
  });
});

describe('report: communities', () => {
  const m = [[0]];
  it('keeps a community label across checkpoints even when the detector renumbers it', () => {
    const cks = [
      ck(0, m, { communities: [['a', 'b', 'c'], ['d', 'e']] }),
      ck(1, m, { communities: [['d', 'e', 'c'], ['a', 'b']] }), // order swapped, c moved
      ck(2, m, { communities: [['a'], ['b'], ['c', 'd', 'e']] }), // C1 split: the bigger overlap keeps C1
    ];
    const aligned = alignCommunities(cks);
    const labelOf = (c: number, id: string) => aligned[c]!.find((com) => com.members.includes(id))!.label;
    expect([labelOf(0, 'a'), labelOf(0, 'd')]).to.deep.equal(['C1', 'C2']);
    expect([labelOf(1, 'a'), labelOf(1, 'd'), labelOf(1, 'c')]).to.deep.equal(['C1', 'C2', 'C2']);
    // {a} and {b} overlap C1 equally (1 each): the earlier community in the detector's order keeps C1.
    expect([labelOf(2, 'a'), labelOf(2, 'b'), labelOf(2, 'c')]).to.deep.equal(['C1', 'C3', 'C2']);
  });

  it('counts nodes moving between aligned communities', () => {
    const cks = [
      ck(0, m, { communities: [['a', 'b', 'c'], ['d', 'e']] }),
      ck(10, m, { communities: [['a', 'b'], ['c', 'd', 'e']] }),
    ];
    const flows = communityFlows(cks).map((f) => `${f.source}>${f.target}:${f.value}`).sort();
    expect(flows).to.deep.equal(['C1>C1:2', 'C1>C2:1', 'C2>C2:2']);
  });

  it('alluvial ribbons start and end inside their bars and conserve nodes', () => {
    const data = syntheticReportData();
    const layout = alluvialLayout(data.checkpoints, 8);
    const nodesPerColumn = new Map<number, number>();
    for (const bar of layout.bars) nodesPerColumn.set(bar.column, (nodesPerColumn.get(bar.column) ?? 0) + bar.size);
    expect([...nodesPerColumn.values()].every((v) => v === data.nodes.length)).to.equal(true);
    const ribbons = new Map<string, typeof layout.ribbons>();
    for (const p of layout.ribbons) ribbons.set(p.ribbon, [...(ribbons.get(p.ribbon) ?? []), p]);
    let total = 0;
    for (const points of ribbons.values()) {
      const first = points[0];
      const last = points[points.length - 1];
      const col = layout.steps.indexOf(first.fromStep);
      const src = layout.bars.find((b) => b.column === col && b.label === first.source)!;
      const dst = layout.bars.find((b) => b.column === col + 1 && b.label === first.target)!;
      expect(first.y0).to.be.at.least(src.y0 - 1e-9);
      expect(first.y1).to.be.at.most(src.y1 + 1e-9);
      expect(last.y0).to.be.at.least(dst.y0 - 1e-9);
      expect(last.y1).to.be.at.most(dst.y1 + 1e-9);
      total += first.value;
    }
    // Every node flows between each pair of consecutive columns exactly once.
    expect(total).to.equal(data.nodes.length * (data.checkpoints.length - 1));
  });
});

describe('report: input validation', () => {
  const base = (): ReportData => ({
    title: 't', settings: {}, nodes: ['A', 'B'],
    checkpoints: [ck(0, [[0, 1], [0, 0]]), ck(1, [[0, 2], [0, 0]])],
  });

  it('rejects a matrix of the wrong size, naming the checkpoint', () => {
    const data = base();
    data.checkpoints[1].matrix = [[0, 1]];
    expect(() => validateReportData(data, 'results/x')).to.throw(InputError, /results\/x: checkpoints\[1\]\.matrix must have 2 rows/);
  });

  it('rejects steps that do not increase, unknown community members, non-finite weights', () => {
    const a = base();
    a.checkpoints[1].step = 0;
    expect(() => validateReportData(a)).to.throw(InputError, /not greater than the previous step/);
    const b = base();
    b.checkpoints[0].communities = [['A', 'Z']];
    expect(() => validateReportData(b)).to.throw(InputError, /unknown node Z/);
    const c = base();
    c.checkpoints[0].matrix[0][1] = NaN;
    expect(() => validateReportData(c)).to.throw(InputError, /A → B\) is not a finite number/);
  });

  it('turns NaN and infinite metric values into null', () => {
    const data = base();
    data.checkpoints[0].metrics = { modularity: NaN, gini: Infinity, density: 0.5, tail_alpha: null };
    expect(validateReportData(data).checkpoints[0].metrics).to.deep.equal({ modularity: null, gini: null, density: 0.5, tail_alpha: null });
  });

  it('writeReport refuses bad data or options before writing anything', async () => {
    const dir = path.join(os.tmpdir(), `cntlens-report-bad-${process.pid}`);
    const data = base();
    data.nodes = ['A', 'A'];
    let err: unknown;
    try { await writeReport(data, dir); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(InputError);
    expect((err as Error).message).to.match(/duplicate id A/);
    err = undefined;
    try { await writeReport(base(), dir, { topK: 0 }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(OptionError);
    expect(existsSync(dir)).to.equal(false);
  });
});

describe('report: writeReport on sparse data', () => {
  it('skips figures that have no data and still renders without warnings (one checkpoint, signed weights)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-report-min-'));
    try {
      const nodes = ['L0H0', 'L0MLP', 'L1H0', 'L1MLP', 'LOGITS'];
      const m = nodes.map(() => nodes.map(() => 0));
      m[0][2] = -0.3;
      m[1][3] = 0.5;
      m[2][4] = 0.2;
      const out = await writeReport({ title: 'minimal', settings: {}, nodes, checkpoints: [ck(1000, m)] }, dir, { pngScale: 1 });
      expect(out.warnings).to.deep.equal([]);
      // No behaviour metrics, no graph metrics, no communities: those figures are left out.
      expect(out.figures.map((f) => f.name)).to.deep.equal(['roles', 'heatmap', 'graph']);
      const html = readFileSync(out.html, 'utf8');
      expect(html).to.include('id="fig-heatmap"');
      expect(html).to.not.include('id="fig-behaviour"');
      expect(html).to.not.include('id="fig-communities"');
      expect(html).to.include('colour scale diverges from 0'); // signed weights: the caption says so
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('report: writeReport on synthetic data, in a real browser', function () {
  let dir: string;
  let data: ReportData;
  let out: ReportOutput;
  let browser: Browser | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-report-'));
    data = syntheticReportData();
    // An HTML-looking title must be escaped, not executed.
    data.title = 'Synthetic <script>window.__pwned = 1</script> run';
    out = await writeReport(data, dir);
  });

  after(async () => {
    await browser?.close();
    if (dir && !process.env.CNTLENS_KEEP_REPORT) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles and renders every figure without Vega or Vega-Lite warnings', () => {
    expect(out.warnings).to.deep.equal([]);
    expect(out.figures.map((f) => f.name)).to.deep.equal(['behaviour', 'metrics', 'roles', 'heatmap', 'graph', 'communities']);
  });

  it('writes report.html and an SVG and a PNG per figure', () => {
    expect(out.html).to.equal(path.join(dir, 'report.html'));
    for (const fig of out.figures) {
      const svg = readFileSync(fig.svg, 'utf8');
      expect(svg.startsWith('<svg'), fig.svg).to.equal(true);
      expect(svg).to.include('<text');
      const png = readFileSync(fig.png);
      expect([...png.subarray(0, 8)]).to.deep.equal([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const { width, height } = pngSize(png);
      // pngScale 2: the PNG is twice the SVG's own size.
      const svgWidth = Number(/^<svg[^>]* width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
      expect(width).to.be.closeTo(2 * svgWidth, 2);
      expect(width).to.be.within(600, 6000);
      expect(height).to.be.within(300, 6000);
      expect(statSync(fig.png).size).to.be.greaterThan(10_000);
    }
  });

  it('has a system font for PNG text (else every PNG figure would lack its labels)', () => {
    // Debian: fonts-liberation or fonts-dejavu-core.
    expect(textInkFraction()).to.be.greaterThan(0.01);
  });

  it('draws the final checkpoint in the static heatmap (one grey cell per zero entry)', () => {
    const svg = readFileSync(out.figures.find((f) => f.name === 'heatmap')!.svg, 'utf8');
    const last = data.checkpoints[data.checkpoints.length - 1];
    expect(svg.split(`fill="${GREY_CELL}"`).length - 1).to.equal(countZeros(last.matrix));
    expect(svg).to.include(`step ${last.step.toLocaleString('en-US')}`);
  });

  it('opens from disk offline with no console errors, draws every figure, and the slider moves the heatmap', async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM} (Debian package: chromium)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const blocked: string[] = [];
    page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // Self-containment: anything that is not a file:// request is refused (and recorded).
    await page.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(out.html).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });

    expect(await page.title()).to.equal(data.title);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);

    const figures = await page.$$eval('[data-figure]', (els) => els.map((el) => ({
      name: el.getAttribute('data-figure'),
      rendered: el.getAttribute('data-rendered'),
      marks: el.querySelectorAll('svg path, svg rect, svg line').length,
    })));
    expect(figures.map((f) => f.name)).to.deep.equal(['behaviour', 'metrics', 'roles', 'heatmap', 'graph', 'communities']);
    for (const f of figures) {
      expect(f.rendered, f.name!).to.equal('true');
      expect(f.marks, f.name!).to.be.greaterThan(20);
    }

    // Hovering a component in the graph shows its tooltip.
    await page.hover('#fig-graph svg path[aria-label="L1H2"]');
    const tip = await page.locator('.tooltip').textContent();
    expect(tip).to.include('L1H2');
    expect(tip).to.include('Out-strength');

    const heatmap = page.locator('#fig-heatmap');
    const last = data.checkpoints[data.checkpoints.length - 1];
    const first = data.checkpoints[0];
    const greyCells = () => page.$$eval(`#fig-heatmap svg path[fill="${GREY_CELL}"]`, (els) => els.length);
    expect(await heatmap.getAttribute('data-step')).to.equal(String(last.step));
    expect(await greyCells()).to.equal(countZeros(last.matrix));
    const before = await heatmap.innerHTML();

    // Move the slider with the keyboard, as a user would: Home = first checkpoint.
    await page.locator('#checkpoint-slider').focus();
    await page.keyboard.press('Home');
    await page.waitForSelector(`#fig-heatmap[data-step="${first.step}"]`, { timeout: 10_000 });
    const after = await heatmap.innerHTML();
    expect(after).to.not.equal(before);
    expect(await greyCells()).to.equal(countZeros(first.matrix));
    expect(countZeros(first.matrix)).to.not.equal(countZeros(last.matrix)); // the check above can tell them apart
    expect(after).to.include(`step ${first.step}`);
    expect(await page.locator('#fig-graph').getAttribute('data-step')).to.equal(String(first.step));
    expect(await page.locator('#checkpoint-label').textContent()).to.include('exploration');

    // One step right: the next checkpoint.
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`#fig-heatmap[data-step="${data.checkpoints[1].step}"]`, { timeout: 10_000 });

    const shot = path.join(dir, 'report-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).to.be.greaterThan(50_000);
    console.log(`      screenshot: ${shot}${process.env.CNTLENS_KEEP_REPORT ? '' : ' (set CNTLENS_KEEP_REPORT=1 to keep it)'}`);

    expect(blocked).to.deep.equal([]);
    expect(problems).to.deep.equal([]);
  });
});
