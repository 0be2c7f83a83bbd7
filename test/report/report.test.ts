import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import {
  alignCommunities, alluvialLayout, communityFlows, formatStep, layoutNodes, parseNodeId, rankNodes, strongestEdges,
  textInkFraction, validateReportData, writeReport, type ReportCheckpoint, type ReportData, type ReportOutput,
} from '../../lib/report/index.js';
import * as vega from 'vega';
import {
  chooseStepScale, phaseAbbreviations, phaseBands, placePhaseLabels, stepPixel, symlogTicks, type PhaseBand, type PhaseLabelPlacement,
} from '../../lib/report/derive.js';
import { changesBeforePhases, esc, renderHtml } from '../../lib/report/html.js';
import { behaviourPhaseLabels, behaviourSpec, BEHAVIOUR_PANEL, buildModel, communitiesSpec, communityLegend } from '../../lib/report/specs.js';
import { PHASE_LABEL_FONT_SIZE, textWidth } from '../../lib/report/theme.js';
import { InputError, OptionError } from '../../lib/util/errors.js';
import { launchChromium } from './browser.js';
import { manyPhasesReportData, syntheticFindings, syntheticReportData } from './synthetic.js';

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

  it('draws the declared warm-up as a grey band before the first phase, and checks it', () => {
    const phases = {
      boundaries: [2000],
      phases: [{ start: 64, end: 1000, label: 'exploration' }, { start: 2000, end: 4000, label: 'refinement' }],
      warmup: { start: 0, end: 16, beforeStep: 30 },
    };
    const bands = phaseBands(phases);
    expect(bands.map((b) => [b.index, b.label, b.from, b.to])).to.deep.equal([[0, 'warm-up', 0, 64], [1, 'exploration', 64, 2000], [2, 'refinement', 2000, 4000]]);
    const data = syntheticReportData();
    const first = data.checkpoints[0].step;
    const second = data.checkpoints[1].step;
    const withWarmup = { ...data, phases: { ...data.phases!, warmup: { start: first, end: data.phases!.phases[0].start + 1, beforeStep: second } } };
    expect(() => validateReportData(withWarmup)).to.throw(InputError, /phases\.warmup ends .* at or after the first phase starts/);
    expect(() => validateReportData({ ...data, phases: { ...data.phases!, warmup: { start: 5, end: 1 } as never } })).to.throw(InputError, /phases\.warmup must be null or/);
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

/** Bands of `count` phases whose boundaries are `steps` (labels cycling through `labels`). */
function bandsOver(steps: number[], labels = ['exploration', 'consolidation', 'refinement']): PhaseBand[] {
  return steps.slice(0, -1).map((from, k) => ({ index: k, label: labels[k % labels.length], from, to: steps[k + 1], start: from, end: steps[k + 1] }));
}

/** Overlap checks on placed phase names, with their extents measured afresh by textWidth. */
function expectSeparateLabels(placed: PhaseLabelPlacement[], bands: PhaseBand[], x: (step: number) => number, width: number): void {
  const measured = placed.map((p) => ({ ...p, x1: p.x0 + textWidth(p.text, PHASE_LABEL_FONT_SIZE) }));
  measured.forEach((p, k) => {
    expect(p.x1, `${p.text} (phase ${p.index}) as measured`).to.be.closeTo(placed[k].x1, 1e-9);
    const band = bands[p.index];
    // Inside its own band (and so inside the panel): never over a neighbour's band.
    expect(p.x0, `${p.text} starts in its band`).to.be.at.least(x(band.from));
    expect(p.x1, `${p.text} ends in its band`).to.be.at.most(x(band.to));
    expect(p.x1).to.be.at.most(width);
    if (k > 0) expect(p.x0, `${p.text} after ${measured[k - 1].text}`).to.be.greaterThan(measured[k - 1].x1);
  });
}

describe('report: phase names above the panels', () => {
  const measure = (text: string) => textWidth(text, PHASE_LABEL_FONT_SIZE);

  it('maps steps to px exactly as the Vega scales of the step axis do (linear and symlog)', () => {
    const steps = [0, 1, 2, 4, 64, 1000, 16000];
    const symlog = vega.scale('symlog')().domain([0, 16000]).range([0, 250]);
    const linear = vega.scale('linear')().domain([0, 16000]).range([0, 250]);
    for (const s of [0, 1, 3, 64, 999, 16000]) {
      expect(stepPixel(steps, 'symlog', 250)(s)).to.be.closeTo(symlog(s), 1e-9);
      expect(stepPixel(steps, 'linear', 250)(s)).to.be.closeTo(linear(s), 1e-9);
    }
  });

  it('estimates text width from per-character advances (non-ASCII counts 1 em)', () => {
    expect(textWidth('', 10)).to.equal(0);
    expect(textWidth('ii', 10)).to.be.closeTo(2 * 2.78 * 1.03, 1e-9); // DejaVu Sans i: 0.278 em, plus 3%
    expect(textWidth('mm', 10)).to.be.greaterThan(textWidth('ii', 10) * 3);
    expect(textWidth('→', 12)).to.be.closeTo(12 * 1.03, 1e-9);
    expect(textWidth('exploration', 20)).to.be.closeTo(2 * textWidth('exploration', 10), 1e-9);
  });

  it('abbreviates phase labels to their shortest unique prefix, capitalised', () => {
    expect([...phaseAbbreviations(['exploration', 'consolidation', 'refinement', 'exploration'])]).to.deep.equal([
      ['exploration', 'E'], ['consolidation', 'C'], ['refinement', 'R'],
    ]);
    expect([...phaseAbbreviations(['exploration', 'expansion', 'a', 'ab'])]).to.deep.equal([
      ['exploration', 'Expl'], ['expansion', 'Expa'], ['a', 'A'], ['ab', 'Ab'],
    ]);
    // Capitalisation would make two short forms equal: numbers instead.
    expect([...phaseAbbreviations(['a', 'A'])]).to.deep.equal([['a', '1'], ['A', '2']]);
  });

  it('writes a full name where its band is wide enough, else the short form, else nothing', () => {
    const bands = bandsOver([0, 100, 140, 141, 400]);
    const x = (s: number) => s; // 1 px per step
    const placed = placePhaseLabels(bands, x, measure);
    expect(placed.map((p) => [p.index, p.text, p.abbreviated])).to.deep.equal([
      [0, 'exploration', false], // 100 px band
      [1, 'C', true], // 40 px: "consolidation" needs about 68
      // phase 2 (1 px wide) gets nothing
      [3, 'exploration', false],
    ]);
    expectSeparateLabels(placed, bands, x, 400);
  });

  it('never overlaps phase names, for many phases of any width, on symlog and linear axes', () => {
    const cases: { steps: number[]; scale: 'linear' | 'symlog' }[] = [
      // 60 phases, one checkpoint apart, on Pythia's schedule (0, 1, 2, 4, …, 512, 1000, …, 143000).
      { steps: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, ...Array.from({ length: 143 }, (_, k) => 1000 * (k + 1))].slice(0, 61), scale: 'symlog' },
      // 200 one-step phases on a linear axis: every band is 1.25 px.
      { steps: Array.from({ length: 201 }, (_, k) => k), scale: 'linear' },
      // Irregular widths: squares, so bands grow from under 1 px to about 12 px.
      { steps: Array.from({ length: 41 }, (_, k) => k * k), scale: 'linear' },
    ];
    for (const { steps, scale } of cases) {
      const bands = bandsOver(steps);
      const x = stepPixel(steps, scale, BEHAVIOUR_PANEL.width);
      const placed = placePhaseLabels(bands, x, measure);
      expectSeparateLabels(placed, bands, x, BEHAVIOUR_PANEL.width);
      expect(placePhaseLabels(bands, x, measure)).to.deep.equal(placed); // deterministic
    }
  });

  it('the behaviour figure draws exactly the placed names, and its legend spells out the short forms', () => {
    const model = buildModel(manyPhasesReportData());
    const placed = behaviourPhaseLabels(model);
    expect(placed.length).to.be.within(3, model.bands.length - 1); // some names written, some left out
    expect(placed.some((p) => p.abbreviated)).to.equal(true);
    expectSeparateLabels(placed, model.bands, stepPixel(model.steps, model.stepScale, BEHAVIOUR_PANEL.width), BEHAVIOUR_PANEL.width);
    const spec = behaviourSpec(model)!;
    const panel = (spec.hconcat as { layer: { mark: { type: string }; data?: { values: { text: string }[] }; encoding: { fill?: { legend: { labelExpr?: string } } } }[] }[])[0];
    const text = panel.layer.find((l) => l.mark.type === 'text')!;
    expect(text.data!.values.map((v) => v.text)).to.deep.equal(placed.map((p) => p.text));
    expect(panel.layer.find((l) => l.encoding.fill)!.encoding.fill!.legend.labelExpr).to.include('exploration (E)');
  });
});

describe('report: community legend', () => {
  it('sits below the plot in as many columns as fit the plot width', () => {
    for (const count of [1, 4, 12, 24]) {
      const labels = Array.from({ length: count }, (_, k) => `C${k + 1}`);
      for (const width of [520, 800, 1080]) {
        const legend = communityLegend(labels, width) as { orient: string; columns: number; symbolSize: number; labelOffset: number; columnPadding: number; labelFontSize: number };
        expect(legend.orient).to.equal('bottom');
        const widest = Math.max(...labels.map((l) => Math.max(textWidth(l, legend.labelFontSize), 0.8 * l.length * legend.labelFontSize)));
        const entry = Math.sqrt(legend.symbolSize) + legend.labelOffset + widest + legend.columnPadding;
        expect(legend.columns * entry - legend.columnPadding, `${count} labels in ${width} px`).to.be.at.most(width);
        expect(legend.columns).to.be.within(1, count);
      }
    }
    const spec = communitiesSpec(buildModel(manyPhasesReportData()))!;
    expect(spec.width).to.be.at.most(1080);
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

describe('report: phase table', () => {
  const tableOf = (data: ReportData) => /<table class="phases">[\s\S]*?<\/table>/.exec(renderHtml({ model: buildModel(validateReportData(data)), specs: {}, figureDir: null }))![0];

  it('has six columns whatever the number of statistics, with reasons, merged boundaries and folded statistics', () => {
    const data = manyPhasesReportData();
    const table = tableOf(data);
    expect(table.match(/<th>/g)).to.have.length(6);
    expect(table).to.include('<details><summary>15 statistics</summary>');
    expect(table).to.include(data.phases!.phases[0].reason);
    expect(table).to.include('Merged (same label on both sides): step 2 (exploration on both sides)');
  });

  it('shows what changed at each boundary, between the two phases, with its confidence', () => {
    const data = manyPhasesReportData();
    const table = tableOf(data);
    const rows = table.split('<tr').slice(1);
    const boundaryRows = rows.filter((r) => r.startsWith(' class="boundary"'));
    expect(boundaryRows).to.have.length(data.phases!.boundaries.length);
    // Boundary k sits right after phase k (1-based) and before phase k + 1.
    const kinds = rows.filter((r) => /^ class="(phase|boundary)"/.test(r)).map((r) => (r.startsWith(' class="phase"') ? 'P' : 'B')).join('');
    expect(kinds).to.equal(`P${'BP'.repeat(data.phases!.boundaries.length)}`);
    const change = data.phases!.changes![1];
    expect(boundaryRows[1]).to.include(`Boundary at step ${change.step.toLocaleString('en-US')}:</span> ${change.summary} (confidence 0.80)`);
    // The first change has no confidence of its own: the boundary's (0.00) is shown.
    expect(boundaryRows[0]).to.include('(confidence 0.00)');
    expect(boundaryRows[0]).to.include('Modularity: level jump 1.8, slope 0.1 → 0.02, 60% of the change');
  });

  it('works without changes, merged boundaries, reasons or statistics (older phases.json)', () => {
    const data = syntheticReportData();
    for (const p of data.phases!.phases) delete p.stats;
    const table = tableOf(data);
    expect(table).to.not.include('class="boundary"');
    expect(table).to.not.include('Details');
    expect(table.match(/<th>/g)).to.have.length(5);
    expect(table.match(/<tr class="phase">/g)).to.have.length(3);
  });

  it('places every change before the phase its boundary opens, keeping changes that match no phase start', () => {
    const phases = { boundaries: [10, 20], phases: [{ start: 0, end: 5, label: 'a' }, { start: 10, end: 15, label: 'b' }, { start: 20, end: 30, label: 'c' }] };
    const change = (step: number) => ({ step, index: 0, summary: `s${step}`, confidence: null, metrics: [] });
    const groups = changesBeforePhases({ ...phases, changes: [change(20), change(10), change(12), change(40)] });
    expect(groups.map((g) => g.map((c) => c.step))).to.deep.equal([[], [10], [12, 20], [40]]);
    expect(changesBeforePhases(phases).every((g) => g.length === 0)).to.equal(true);
  });

  it('validates phases.changes: fills a missing confidence and metrics, rejects a change without a summary', () => {
    const data = syntheticReportData();
    const raw = { step: 64, index: 4, summary: 'x' } as unknown as NonNullable<NonNullable<ReportData['phases']>['changes']>[number];
    data.phases!.changes = [raw];
    expect(validateReportData(data).phases!.changes).to.deep.equal([{ step: 64, index: 4, summary: 'x', confidence: null, metrics: [] }]);
    data.phases!.changes = [{ ...raw, summary: undefined as unknown as string }];
    expect(() => validateReportData(data)).to.throw(InputError, /phases\.changes\[0\]\.summary must be a string/);
    const merged = syntheticReportData();
    merged.phases!.phases[1].merged = [{ step: 'x' as unknown as number, reason: 'r' }];
    expect(() => validateReportData(merged)).to.throw(InputError, /phases\.phases\[1\]\.merged\[0\]/);
  });
});

describe('report: findings section', () => {
  const htmlOf = (data: ReportData) => renderHtml({ model: buildModel(validateReportData(data)), specs: {}, figureDir: null });
  const sectionOf = (html: string) => /<section id="findings">[\s\S]*?<\/section>/.exec(html)?.[0];
  const withFindings = (findings = syntheticFindings()): ReportData => ({ ...syntheticReportData(), findings });

  it('comes first, before the summary and first in the navigation, with all five claims, their badges and numbers', () => {
    const findings = syntheticFindings();
    const html = htmlOf(withFindings(findings));
    expect(html.indexOf('<section id="findings">')).to.be.within(0, html.indexOf('<section id="summary">'));
    expect(/<nav>(.*?)<\/nav>/.exec(html)![1]).to.match(/^<a href="#findings">Findings<\/a><a href="#summary">Summary<\/a>/);
    const section = sectionOf(html)!;
    const rows = section.split('<tr class="claim"').slice(1);
    expect(rows.map((r) => /data-claim="(\w+)"/.exec(r)![1])).to.deep.equal(['spreaderStability', 'gathererStability', 'stabilityDifference', 'reconfiguration', 'longTail']);
    // One badge per claim, with its verdict written out and its own class: all four verdicts appear.
    const badges = rows.map((r) => /<span class="verdict ([\w-]+)"[^>]*><span aria-hidden="true">.<\/span> ([a-z ]+)<\/span>/.exec(r)!.slice(1));
    expect(badges).to.deep.equal([['supported', 'supported'], ['structure', 'not beyond structure'], ['not-supported', 'not supported'], ['undetermined', 'undetermined'], ['supported', 'supported']]);
    // The claim, statistic, value, interval, p-value and sentence of a claim.
    expect(rows[0]).to.include('A stable hierarchy of information spreaders');
    expect(rows[0]).to.include('mean Kendall τ-b between consecutive checkpoints&#39; spreader rankings');
    expect(rows[0]).to.include('<span class="value">0.81</span><span class="ci">95% CI [0.75, 0.86]</span><span class="p">p = 0.005</span>');
    expect(rows[0]).to.include(`<td class="sentence">${esc(findings.spreaderStability.sentence)}</td>`);
    expect(rows[2]).to.include('95% CI [-0.05, 0.12]');
    // No interval: the reason, from `unavailable` (or the claim's own).
    expect(rows[3]).to.include('<span class="value">—</span><span class="ci none">no interval: no admissible random boundary set or no stability drop</span><span class="p">no p-value</span>');
    expect(rows[4]).to.include('no interval: a test statistic, judged by its p-value');
    expect(rows[4]).to.include('p = 1.0e-4');
    // How the verdicts are made.
    expect(section).to.include('How the verdicts are made: one-sided tests at level 0.05, Bonferroni-corrected over the 5 claims (0.01 each); null model ‘block’ (weights permuted within blocks of edges of the same source and target layer and kind); 95% intervals from 200 prompt resamples.');
  });

  it('shows rank stability and the tail per phase (labels from the phases) and the role-trajectory groups', () => {
    const section = sectionOf(htmlOf(withFindings()))!;
    const stability = /<h3>Rank stability by phase<\/h3>[\s\S]*?<\/table>/.exec(section)![0];
    const cells = (row: string) => [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
    const rows = stability.split('<tr').slice(3).map(cells);
    expect(rows).to.deep.equal([
      ['exploration', '0.62', '0.21', '0.55', '0.02'],
      ['consolidation', '0.84', '0.45', '0.78', '0.11'],
      ['refinement', '0.93', '0.58', '0.86', '—'],
      ['all phases', '0.81', '0.42', '0.74', '0.08'],
    ]);
    expect(stability).to.include('spreaders z = 4, p = 0.005; gatherers z = 0.5, p = 0.310');
    const tail = /<h3>Edge-weight tail by phase<\/h3>[\s\S]*?<\/table>/.exec(section)![0];
    expect(tail.split('<tr').slice(2).map(cells)).to.deep.equal([
      ['exploration', '0 – 16', '25%', '50%', '75%'],
      ['consolidation', '64 – 1k', '67%', '67%', '33%'],
      ['refinement', '2k – 16k', '100%', '—', '0%'],
    ]);
    expect(tail).to.include('Final checkpoint: α = 2.4 (95% CI [2.21, 2.63]).');
    expect(section).to.include('k = 3, silhouette 0.47');
    expect(section.match(/<span class="group-name">/g)).to.have.length(3);
    expect(section).to.include('<span class="group-name">Group 3 (1)</span><ul class="members"><li><span class="chip" style="border-color:#4c78a8">L2H3</span></li></ul>');
  });

  it('says why there are no intervals when the run had no per-prompt values', () => {
    const section = sectionOf(htmlOf(withFindings(syntheticFindings({ intervals: false }))))!;
    expect(section).to.include('no intervals (no per-prompt values at every checkpoint (or a single prompt): no bootstrap intervals).');
    expect(section).to.not.include('95% CI');
    expect(section.match(/no interval: no per-prompt values/g)).to.have.length(3); // the claims without a reason of their own
  });

  it('skips the supporting tables gracefully when the details lack them', () => {
    const findings = syntheticFindings();
    findings.details.trajectories = null;
    delete (findings.details as Partial<typeof findings.details>).tail;
    let section = sectionOf(htmlOf(withFindings(findings)))!;
    expect(section.match(/<tr class="claim"/g)).to.have.length(5);
    expect(section).to.include('Rank stability by phase');
    expect(section).to.not.include('Edge-weight tail');
    expect(section).to.not.include('Role trajectories');
    delete (findings as Partial<typeof findings>).details;
    section = sectionOf(htmlOf(withFindings(findings)))!;
    expect(section.match(/<tr class="claim"/g)).to.have.length(5);
    expect(section).to.not.include('<h3>');
    // Phases that do not match the findings' segments: numbered instead of named.
    const other = syntheticReportData();
    other.phases!.phases = other.phases!.phases.slice(0, 2);
    other.phases!.boundaries = other.phases!.boundaries.slice(0, 1);
    other.phases!.confidence = other.phases!.confidence!.slice(0, 1);
    expect(sectionOf(htmlOf({ ...other, findings: syntheticFindings() }))).to.include('<td>phase 3</td>');
  });

  it('is left out, with its navigation link, when the data has no findings (older runs)', () => {
    const html = htmlOf(syntheticReportData());
    expect(sectionOf(html)).to.equal(undefined);
    expect(html).to.not.include('href="#findings"');
    expect(/<nav>(.*?)<\/nav>/.exec(html)![1]).to.match(/^<a href="#summary">/);
  });

  it('escapes the findings’ text', () => {
    const findings = syntheticFindings();
    findings.longTail.sentence = 'Supported: <img src=x onerror=alert(1)>';
    const section = sectionOf(htmlOf(withFindings(findings)))!;
    expect(section).to.include('Supported: &lt;img src=x onerror=alert(1)&gt;');
    expect(section).to.not.include('<img');
  });

  it('validates the findings: an unknown verdict, a missing field, a wrongly typed value, a bad interval, missing settings', () => {
    const bad = (edit: (f: ReturnType<typeof syntheticFindings>) => void) => {
      const findings = syntheticFindings();
      edit(findings);
      return () => validateReportData(withFindings(findings), 'results/run1');
    };
    expect(bad((f) => { f.gathererStability.verdict = 'dynamic' as never; })).to.throw(InputError, /^results\/run1: findings\.gathererStability\.verdict must be one of 'supported', 'not supported', 'not beyond structure', 'undetermined', got "dynamic"$/);
    expect(bad((f) => { delete (f.longTail as Partial<typeof f.longTail>).sentence; })).to.throw(InputError, /findings\.longTail\.sentence must be a string/);
    expect(bad((f) => { f.reconfiguration.value = '1.5' as never; })).to.throw(InputError, /findings\.reconfiguration\.value must be a number or null, got "1\.5"/);
    expect(bad((f) => { f.spreaderStability.interval = [0.9, 0.1]; })).to.throw(InputError, /findings\.spreaderStability\.interval must be null or \[lo, hi\]/);
    expect(bad((f) => { f.stabilityDifference.p = 2; })).to.throw(InputError, /findings\.stabilityDifference\.p must lie in \[0, 1\]/);
    expect(bad((f) => { delete (f as Partial<typeof f>).spreaderStability; })).to.throw(InputError, /findings\.spreaderStability must be an object/);
    expect(bad((f) => { delete (f.settings as Partial<typeof f.settings>).perClaimLevel; })).to.throw(InputError, /findings\.settings\.perClaimLevel must be a finite number/);
    expect(bad((f) => { f.details.tail.perPhase[1].longTailed = 'most' as never; })).to.throw(InputError, /findings\.details\.tail\.perPhase\[1\]\.longTailed must be a number or null/);
    expect(bad((f) => { f.details.trajectories!.groups[0].members = [3] as never; })).to.throw(InputError, /findings\.details\.trajectories\.groups\[0\]\.members/);
    expect(() => validateReportData({ ...syntheticReportData(), findings: 'yes' as never })).to.throw(InputError, /findings must be an object/);
    // NaN (no JSON form) reads as null; a valid block passes unchanged otherwise.
    const findings = syntheticFindings();
    findings.spreaderStability.value = NaN;
    const clean = validateReportData(withFindings(findings)).findings!;
    expect(clean.spreaderStability.value).to.equal(null);
    expect(clean.gathererStability).to.deep.equal(findings.gathererStability);
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
    data.findings = syntheticFindings();
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
    browser = await launchChromium();
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

    // Findings first, every claim with a visible badge that fits its cell, nothing scrolls sideways at 1280 px.
    expect(await page.$eval('main > section', (el) => el.id)).to.equal('findings');
    expect(await page.$eval('nav a', (el) => el.getAttribute('href'))).to.equal('#findings');
    const badges = await page.$$eval('#findings .verdict', (els) => els.map((el) => {
      const td = el.closest('td')!;
      const r = el.getBoundingClientRect();
      return { text: el.textContent, width: r.width, right: r.right, cell: td.getBoundingClientRect().right - parseFloat(getComputedStyle(td).paddingRight) };
    }));
    expect(badges.map((b) => b.text)).to.deep.equal(['✓ supported', '≈ not beyond structure', '✗ not supported', '? undetermined', '✓ supported']);
    for (const b of badges) {
      expect(b.width, b.text!).to.be.greaterThan(40);
      expect(b.right, `${b.text}: badge sticks out of its cell`).to.be.at.most(b.cell + 0.5);
    }
    const tables = await page.$$eval('#findings table', (els) => els.map((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, right: el.getBoundingClientRect().right, section: el.closest('section')!.getBoundingClientRect().right })));
    expect(tables).to.have.length(3);
    for (const t of tables) {
      expect(t.scroll).to.be.at.most(t.client);
      expect(t.right).to.be.at.most(t.section);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'page scrolls sideways').to.be.at.most(1280);
    await page.locator('#findings').screenshot({ path: path.join(dir, 'findings.png') });

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

describe('report: layout at 1280 px, many short phases, long phase details, 14 communities, findings, in a real browser', function () {
  let dir: string;
  let data: ReportData;
  let out: ReportOutput;
  let browser: Browser | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-report-layout-'));
    data = manyPhasesReportData();
    // Findings with one row per phase (20) in the per-phase tables.
    data.findings = syntheticFindings({ nodes: data.nodes, phases: data.phases!.phases.map(({ label, start, end }) => ({ label, start, end })) });
    out = await writeReport(data, dir);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (dir && !process.env.CNTLENS_KEEP_REPORT) rmSync(dir, { recursive: true, force: true });
  });

  /** Rectangles that share area (touching edges do not count). */
  const overlapping = (rects: { left: number; right: number; top: number; bottom: number; text: string }[]): string[] => {
    const hits: string[] = [];
    rects.forEach((a, i) => rects.slice(i + 1).forEach((b) => {
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) hits.push(`${a.text} × ${b.text}`);
    }));
    return hits;
  };

  /** Phase names drawn in the behaviour figure under `root` (its only text marks), with their boxes and drawn widths. */
  const phaseNameBoxes = (root: string) => Array.from(document.querySelectorAll(`${root} g.mark-text.role-mark text`)).map((el) => {
    const r = el.getBoundingClientRect();
    return { text: el.textContent ?? '', left: r.left, right: r.right, top: r.top, bottom: r.bottom, drawn: (el as SVGTextElement).getComputedTextLength() };
  });

  it('renders without warnings', () => {
    expect(out.warnings).to.deep.equal([]);
  });

  it('report.html: the phase table, every figure and the page fit 1280 px; phase names do not overlap; the community legend is inside its figure', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(out.html).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });

    // Unfold every statistic and boundary detail first: the table must fit with all of it shown.
    await page.$$eval('table.phases details', (els) => els.forEach((el) => { (el as HTMLDetailsElement).open = true; }));
    const table = await page.$eval('table.phases', (el) => ({
      scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, right: el.getBoundingClientRect().right,
      container: el.parentElement!.getBoundingClientRect().right, rows: el.querySelectorAll('tr.boundary').length,
    }));
    expect(table.rows).to.equal(data.phases!.boundaries.length);
    expect(table.scrollWidth, 'phase table scrolls sideways').to.be.at.most(table.clientWidth);
    expect(table.right, 'phase table sticks out of its section').to.be.at.most(table.container);
    const findingsTables = await page.$$eval('#findings table', (els) => els.map((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, right: el.getBoundingClientRect().right, section: el.closest('section')!.getBoundingClientRect().right, rows: el.querySelectorAll('tbody tr').length })));
    expect(findingsTables.map((t) => t.rows)).to.deep.equal([5, data.phases!.phases.length + 1, data.phases!.phases.length]);
    for (const t of findingsTables) {
      expect(t.scroll, 'a findings table scrolls sideways').to.be.at.most(t.client);
      expect(t.right, 'a findings table sticks out of its section').to.be.at.most(t.section);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'page scrolls sideways').to.be.at.most(1280);

    // Each figure is as wide as its drawing, or wider: nothing is cut off at the right edge.
    const figures = await page.$$eval('[data-figure]', (els) => els.map((el) => ({
      name: el.getAttribute('data-figure'), svg: el.querySelector('svg')!.getBoundingClientRect().width, box: el.closest('figure')!.clientWidth,
    })));
    for (const f of figures) expect(f.svg, `${f.name}: drawing wider than its figure`).to.be.at.most(f.box);

    const legend = await page.$eval('#fig-communities svg', (svg) => {
      const s = svg.getBoundingClientRect();
      const l = svg.querySelector('.role-legend')!.getBoundingClientRect();
      return { svg: { left: s.left, right: s.right, top: s.top, bottom: s.bottom }, legend: { left: l.left, right: l.right, top: l.top, bottom: l.bottom } };
    });
    expect(legend.legend.right).to.be.at.most(legend.svg.right);
    expect(legend.legend.bottom).to.be.at.most(legend.svg.bottom);
    expect(legend.legend.left).to.be.at.least(legend.svg.left);

    const names = await page.evaluate(phaseNameBoxes, '#fig-behaviour');
    const placed = behaviourPhaseLabels(buildModel(data));
    expect(names.map((n) => n.text)).to.deep.equal([0, 1, 2].flatMap(() => placed.map((p) => p.text))); // one set per panel
    expect(overlapping(names)).to.deep.equal([]);
    // The layout's width estimate bounds what the browser draws.
    for (const n of names) expect(n.drawn, n.text).to.be.at.most(textWidth(n.text, PHASE_LABEL_FONT_SIZE));

    await page.screenshot({ path: path.join(dir, 'layout-1280.png'), fullPage: true });
    await page.close();
    expect(problems).to.deep.equal([]);
  });

  it('static SVGs: the community legend lies inside the viewBox; the phase names do not overlap', async () => {
    const page = await browser!.newPage({ viewport: { width: 1600, height: 900 } });
    const svgFile = (name: string) => pathToFileURL(out.figures.find((f) => f.name === name)!.svg).href;
    await page.goto(svgFile('communities'));
    const box = await page.evaluate(() => {
      const svg = document.documentElement as unknown as SVGSVGElement;
      const view = svg.viewBox.baseVal;
      const l = svg.querySelector('.role-legend')!.getBoundingClientRect();
      const s = svg.getBoundingClientRect();
      return { view: { width: view.width, height: view.height }, size: { width: s.width, height: s.height }, legend: { left: l.left - s.left, right: l.right - s.left, top: l.top - s.top, bottom: l.bottom - s.top } };
    });
    expect(box.size).to.deep.equal(box.view); // drawn at 1 px per unit, so client px are viewBox units
    expect(box.legend.left).to.be.at.least(0);
    expect(box.legend.top).to.be.at.least(0);
    expect(box.legend.right).to.be.at.most(box.view.width);
    expect(box.legend.bottom).to.be.at.most(box.view.height);

    await page.goto(svgFile('behaviour'));
    const names = await page.evaluate(phaseNameBoxes, 'svg');
    expect(names.length).to.equal(3 * behaviourPhaseLabels(buildModel(data)).length);
    expect(overlapping(names)).to.deep.equal([]);
    await page.close();
  });
});
