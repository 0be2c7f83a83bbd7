/**
 * Vega-Lite specifications of the report's figures (Satyanarayan et al., "Vega-Lite: A Grammar of
 * Interactive Graphics", IEEE TVCG 2017). The same spec feeds the interactive report (compiled to
 * Vega, rendered in the browser) and the static SVG / PNG files (rendered in Node), so they match.
 *
 * Figures: behaviour curves, graph-metric series (small multiples), spreader / gatherer ranks
 * (bump chart), influence heatmap, layered component graph, community flows (alluvial).
 */
import type { ReportData, ReportOptions } from './types.js';
import { BEHAVIOUR_METRICS } from './types.js';
import {
  alluvialLayout, boundaryMarkers, chooseStepScale, graphMetricNames, hasValues, layoutNodes, matrixRange,
  metricOrNull, parseNodeId, phaseAbbreviations, phaseAt, phaseBands, placePhaseLabels, rankings, rankRows, stepDomain,
  stepPixel, strengths, strongestEdges, symlogTicks,
  type BoundaryMarker, type NodeLayout, type PhaseBand, type PhaseLabelPlacement, type Role, type StepScale,
} from './derive.js';
import { clientHelpers } from './client.js';
import {
  baseConfig, COMMUNITY_SCHEME, INK, KIND_COLOURS, KIND_NAMES, KIND_SHAPES, metricTitle, MUTED, PHASE_LABEL_FONT_SIZE,
  phaseColours, SERIES, textWidth,
} from './theme.js';

/** A Vega-Lite spec as plain JSON (checked by the Vega-Lite compiler, whose warnings we keep). */
export type VlSpec = Record<string, unknown>;

export type FigureName = 'behaviour' | 'metrics' | 'roles' | 'heatmap' | 'graph' | 'communities';

/** Everything the figures share, derived once from the data. */
export interface ReportModel {
  data: ReportData;
  steps: number[];
  stepScale: StepScale;
  bands: PhaseBand[];
  boundaries: BoundaryMarker[];
  phaseScale: { domain: string[]; range: string[] };
  layout: NodeLayout;
  topK: number;
  graphEdges: number;
  roleExclude: string[];
  /** Largest |influence| over all checkpoints, and whether any is negative. */
  maxAbsWeight: number;
  hasNegative: boolean;
  /** Largest node strength (in + out) over all checkpoints (fixes the node-size scale). */
  maxStrength: number;
  /** Strongest edges per checkpoint, as `[source, target, weight]` with weights rounded. */
  edges: [number, number, number][][];
  edgeStats: { shown: number; nonZero: number; share: number }[];
}

export function buildModel(data: ReportData, options: ReportOptions = {}): ReportModel {
  const steps = data.checkpoints.map((c) => c.step);
  const bands = phaseBands(data.phases);
  const range = matrixRange(data.checkpoints);
  const graphEdges = options.graphEdges ?? Math.min(3 * data.nodes.length, 150);
  let maxStrength = 0;
  const edges: [number, number, number][][] = [];
  const edgeStats: ReportModel['edgeStats'] = [];
  for (const ck of data.checkpoints) {
    const abs = ck.matrix.map((row) => row.map(Math.abs));
    const s = strengths(abs);
    for (let i = 0; i < s.out.length; i++) maxStrength = Math.max(maxStrength, s.out[i] + s.in[i]);
    const sel = strongestEdges(ck.matrix, graphEdges);
    edges.push(sel.edges.map((e) => [e.source, e.target, e.weight]));
    edgeStats.push({ shown: sel.edges.length, nonZero: sel.nonZero, share: sel.share });
  }
  return {
    data,
    steps,
    stepScale: chooseStepScale(steps, options.stepScale),
    bands,
    boundaries: boundaryMarkers(data.phases),
    phaseScale: phaseColours(bands.map((b) => b.label)),
    layout: layoutNodes(data.nodes),
    topK: options.topK ?? 5,
    graphEdges,
    roleExclude: options.roleExclude ?? ['LOGITS'],
    maxAbsWeight: Math.max(Math.abs(range.min), Math.abs(range.max)),
    hasNegative: range.min < 0,
    maxStrength,
    edges,
    edgeStats,
  };
}

/** 143000 → "143k", 1500 → "1.5k", 2e6 → "2M". */
export function formatStep(step: number): string {
  const abs = Math.abs(step);
  const trim = (x: number) => String(Number(x.toPrecision(4)));
  if (abs >= 1e6) return `${trim(step / 1e6)}M`;
  if (abs >= 1e3) return `${trim(step / 1e3)}k`;
  return trim(step);
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Vega expression for step tick labels: 0, 1, 10, 512, 1k, 2.5k, 143k, 2M. */
const STEP_LABEL_EXPR = "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M' : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + 'k' : format(datum.value, '~g')";

function stepAxisEncoding(model: ReportModel, field: string, title: string | null = 'Training step'): VlSpec {
  const domain = stepDomain(model.steps);
  if (model.stepScale === 'symlog') {
    return {
      field, type: 'quantitative', title,
      scale: { type: 'symlog', domain, nice: false },
      axis: { values: symlogTicks(model.steps), labelExpr: STEP_LABEL_EXPR, labelFlush: true, labelOverlap: true },
    };
  }
  return { field, type: 'quantitative', title, scale: { domain, nice: false, zero: false }, axis: { labelExpr: STEP_LABEL_EXPR, tickCount: 6, tickMinStep: 1, labelFlush: true, labelOverlap: true } };
}

function phaseColourEncoding(model: ReportModel, legend: VlSpec | null): VlSpec {
  return { field: 'label', type: 'nominal', title: 'Phase', scale: model.phaseScale, legend };
}

/** The phase legend above a row of panels (identical legends of panels sharing the scale merge into one). */
const PHASE_LEGEND: VlSpec = { orient: 'top', direction: 'horizontal', symbolType: 'square', symbolOpacity: 0.5 };

/**
 * The phase legend when some bands carry a short form instead of their name: each entry then reads
 * `exploration (E)`, so the short forms written in the figure can be looked up in the figure itself.
 */
function phaseLegendWithShortForms(model: ReportModel, placements: PhaseLabelPlacement[]): VlSpec {
  if (!placements.some((p) => p.abbreviated)) return PHASE_LEGEND;
  const short = phaseAbbreviations(model.phaseScale.domain);
  const texts = model.phaseScale.domain.map((label) => `${label} (${short.get(label)})`);
  return { ...PHASE_LEGEND, labelExpr: `${JSON.stringify(texts)}[indexof(${JSON.stringify(model.phaseScale.domain)}, datum.label)]` };
}

/** Light phase bands spanning the full height, with a tooltip naming the phase. */
function bandLayer(model: ReportModel, legend: VlSpec | null, filter?: string): VlSpec {
  return {
    ...(filter ? { transform: [{ filter }] } : { data: { values: model.bands } }),
    mark: { type: 'rect', opacity: 0.17 },
    encoding: {
      x: stepAxisEncoding(model, 'from'),
      x2: { field: 'to' },
      // fill, not color: figures that colour their data by another field keep two separate scales.
      fill: phaseColourEncoding(model, legend),
      tooltip: [
        { field: 'label', title: 'Phase' },
        { field: 'start', title: 'First step', format: ',' },
        { field: 'end', title: 'Last step', format: ',' },
      ],
    },
  };
}

/** Dashed rules at phase boundaries; darker when the boundary is confident. */
function boundaryLayer(model: ReportModel, filter?: string): VlSpec {
  return {
    ...(filter ? { transform: [{ filter }] } : { data: { values: model.boundaries } }),
    mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.3, color: '#444' },
    encoding: {
      x: stepAxisEncoding(model, 'step'),
      opacity: { condition: { test: 'datum.confidence === null', value: 0.7 }, field: 'confidence', type: 'quantitative', scale: { domain: [0, 1], range: [0.25, 0.9] }, legend: null },
      tooltip: [
        { field: 'step', title: 'Phase boundary at step', format: ',' },
        { field: 'confidence', title: 'Confidence', format: '.2f' },
      ],
    },
  };
}

/** Gap (px) between a band's edges and the phase name written in it. */
const PHASE_LABEL_INSET = 2;

/** Size (px) of one behaviour panel. */
export const BEHAVIOUR_PANEL = { width: 250, height: 190 };

/** The phase names above a behaviour panel: full, short or left out, so that none overlap (placePhaseLabels). */
export function behaviourPhaseLabels(model: ReportModel): PhaseLabelPlacement[] {
  return placePhaseLabels(
    model.bands,
    stepPixel(model.steps, model.stepScale, BEHAVIOUR_PANEL.width),
    (text) => textWidth(text, PHASE_LABEL_FONT_SIZE),
    phaseAbbreviations(model.phaseScale.domain),
    PHASE_LABEL_INSET,
  );
}

/** Phase names written just above the plot, inside each band (placements from behaviourPhaseLabels). */
function bandLabelLayer(model: ReportModel, placements: PhaseLabelPlacement[]): VlSpec {
  const bandOf = (p: PhaseLabelPlacement) => model.bands[p.index];
  return {
    data: { values: placements.map((p) => ({ from: p.from, text: p.text, label: p.label, start: bandOf(p).start, end: bandOf(p).end })) },
    mark: { type: 'text', align: 'left', baseline: 'bottom', dx: PHASE_LABEL_INSET, dy: -3, fontSize: PHASE_LABEL_FONT_SIZE, fontStyle: 'italic', color: MUTED },
    encoding: {
      x: stepAxisEncoding(model, 'from'), y: { value: 0 }, text: { field: 'text' },
      tooltip: [
        { field: 'label', title: 'Phase' },
        { field: 'start', title: 'First step', format: ',' },
        { field: 'end', title: 'Last step', format: ',' },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Behaviour curves: loss on the repeated half, ICL score, induction score, with phases. */
export function behaviourSpec(model: ReportModel): VlSpec | null {
  const metrics = BEHAVIOUR_METRICS.filter((m) => hasValues(model.data.checkpoints, m));
  if (metrics.length === 0) return null;
  const placements = behaviourPhaseLabels(model);
  const legend = phaseLegendWithShortForms(model, placements);
  const panels = metrics.map((metric) => {
    const values = model.data.checkpoints.map((ck) => ({
      step: ck.step, name: ck.name ?? `step ${ck.step}`, value: metricOrNull(ck.metrics[metric]), phase: phaseAt(model.data.phases, ck.step),
    }));
    const layers: VlSpec[] = [];
    // Narrow bands have no name written above them: the legend names every phase's colour.
    if (model.bands.length) layers.push(bandLayer(model, legend), bandLabelLayer(model, placements));
    if (model.boundaries.length) layers.push(boundaryLayer(model));
    layers.push({
      data: { values },
      mark: { type: 'line', color: SERIES, point: { filled: true, size: 30, color: SERIES }, invalid: 'break-paths-show-domains' },
      encoding: {
        x: stepAxisEncoding(model, 'step'),
        y: { field: 'value', type: 'quantitative', title: metricTitle(metric), scale: { zero: false, nice: true }, axis: { tickCount: 5 } },
        tooltip: [
          { field: 'name', title: 'Checkpoint' },
          { field: 'step', title: 'Step', format: ',' },
          { field: 'value', title: metricTitle(metric), format: '.4~f' },
          { field: 'phase', title: 'Phase' },
        ],
      },
    });
    return { ...BEHAVIOUR_PANEL, layer: layers };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Behaviour over training', subtitle: 'Induction: loss on the repeated half of [random tokens, same tokens again]; shaded: learning phases' },
    hconcat: panels,
    spacing: 28,
    resolve: { scale: { y: 'independent' } },
    config: baseConfig(),
  };
}

/** Graph-metric series as small multiples (independent y), with phase bands and boundaries. */
export function metricsSpec(model: ReportModel): VlSpec | null {
  const metrics = graphMetricNames(model.data).filter((m) => hasValues(model.data.checkpoints, m));
  if (metrics.length === 0) return null;
  const panels = metrics.map((metric): VlSpec => {
    const title = metricTitle(metric);
    const values = model.data.checkpoints.map((ck) => ({
      metric: title, step: ck.step, name: ck.name ?? `step ${ck.step}`, value: metricOrNull(ck.metrics[metric]), phase: phaseAt(model.data.phases, ck.step),
    }));
    const layers: VlSpec[] = [];
    // The colour scale is shared across panels, so identical legends merge into one.
    if (model.bands.length) layers.push(bandLayer(model, PHASE_LEGEND));
    if (model.boundaries.length) layers.push(boundaryLayer(model));
    layers.push({
      data: { values },
      mark: { type: 'line', color: SERIES, strokeWidth: 1.8, point: { filled: true, size: 18, color: SERIES }, invalid: 'break-paths-show-domains' },
      encoding: {
        x: stepAxisEncoding(model, 'step', null),
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false, nice: true }, axis: { tickCount: 4 } },
        tooltip: [
          { field: 'metric', title: 'Metric' },
          { field: 'name', title: 'Checkpoint' },
          { field: 'step', title: 'Step', format: ',' },
          { field: 'value', title: 'Value', format: '.4~g' },
          { field: 'phase', title: 'Phase' },
        ],
      },
    });
    return { width: 190, height: 110, title: { text: title, fontSize: 12, fontWeight: 600, offset: 6, frame: 'group' }, layer: layers };
  });
  const columns = metrics.length <= 4 ? metrics.length : metrics.length <= 6 ? 3 : 4;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Network metrics of the influence graph', subtitle: 'x: training step; one panel per metric, each on its own y scale; dashed lines: phase boundaries' },
    concat: panels,
    columns,
    align: 'all',
    spacing: { row: 22, column: 30 },
    resolve: { scale: { y: 'independent' } },
    config: baseConfig(),
  };
}

/**
 * Bump chart of the top spreaders (out-strength) and gatherers (in-strength) over checkpoints.
 * The components in the top K at the final checkpoint are coloured and labelled at the right;
 * components that were in the top K only earlier are drawn in grey (their names are in tooltips).
 */
export function rolesSpec(model: ReportModel): VlSpec {
  const panel = (role: Role, title: string, subtitle: string): VlSpec => {
    const ranked = rankings(model.data, role, model.roleExclude);
    const finalTop = ranked[ranked.length - 1].slice(0, model.topK);
    const rows = rankRows(model.data, role, model.topK, model.roleExclude).map((r) => ({
      ...r, kindName: KIND_NAMES[r.kind], phase: phaseAt(model.data.phases, r.step), highlight: finalTop.includes(r.node),
    }));
    const lastStep = model.steps[model.steps.length - 1];
    const kinds = [...new Set(rows.map((r) => r.kind))];
    const y = {
      field: 'rank', type: 'quantitative', title: 'Rank',
      scale: { domain: [0.5, model.topK + 0.5], reverse: true, nice: false, zero: false },
      axis: { values: Array.from({ length: model.topK }, (_, k) => k + 1), format: 'd', grid: false },
    };
    const colour = {
      condition: { test: '!datum.highlight', value: '#c4c4c4' },
      field: 'node', type: 'nominal', scale: { domain: finalTop, scheme: 'tableau10' }, legend: null,
    };
    const tooltip = [
      { field: 'node', title: 'Component' },
      { field: 'kindName', title: 'Kind' },
      { field: 'step', title: 'Step', format: ',' },
      { field: 'rank', title: 'Rank' },
      { field: 'phase', title: 'Phase' },
    ];
    const x = stepAxisEncoding(model, 'step');
    const shape = {
      field: 'kindName', type: 'nominal', title: 'Component',
      scale: { domain: kinds.map((k) => KIND_NAMES[k]), range: kinds.map((k) => KIND_SHAPES[k]) },
      legend: role === 'spreaders' ? { orient: 'bottom', direction: 'horizontal', symbolFillColor: MUTED, symbolStrokeColor: MUTED } : null,
    };
    const lineLayer = (highlight: boolean): VlSpec => ({
      data: { values: rows },
      transform: [{ filter: highlight ? 'datum.highlight' : '!datum.highlight' }],
      mark: { type: 'line', strokeWidth: highlight ? 2.4 : 1.4, opacity: highlight ? 0.9 : 0.8, invalid: 'break-paths-show-domains' },
      encoding: { x, y, color: colour, detail: { field: 'node' } },
    });
    const pointLayer = (highlight: boolean): VlSpec => ({
      data: { values: rows },
      transform: [{ filter: `datum.rank !== null && ${highlight ? '' : '!'}datum.highlight` }],
      mark: { type: 'point', filled: true, size: highlight ? 60 : 34, stroke: 'white', strokeWidth: 0.8, opacity: 1 },
      encoding: { x, y, color: colour, shape, tooltip },
    });
    const layers: VlSpec[] = [];
    if (model.bands.length) layers.push(bandLayer(model, null));
    layers.push(lineLayer(false), pointLayer(false), lineLayer(true), pointLayer(true), {
      data: { values: rows },
      transform: [{ filter: `datum.highlight && datum.step === ${lastStep} && datum.rank !== null` }],
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 9, fontSize: 11, fontWeight: 600 },
      encoding: { x, y, color: colour, text: { field: 'node' } },
    });
    return { width: 330, height: 28 * model.topK + 30, title: { text: title, subtitle, fontSize: 13 }, layer: layers };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Top-${model.topK} spreaders and gatherers`, subtitle: `Rank at each checkpoint. Coloured: the top ${model.topK} at the last checkpoint; grey: components that were in the top ${model.topK} only earlier` },
    hconcat: [
      panel('spreaders', 'Spreaders', 'by out-strength (total influence exerted)'),
      panel('gatherers', 'Gatherers', model.data.roles ? 'by in-strength (total influence received)' : `by in-strength (influence received)${model.roleExclude.length ? `, ${model.roleExclude.join(', ')} left out` : ''}`),
    ],
    spacing: 70,
    resolve: { scale: { color: 'independent', shape: 'independent' } },
    config: baseConfig(),
  };
}

/** Colour of an axis label by component kind (heads blue, MLPs orange, …), as a Vega expression. */
function kindLabelColourExpr(): string {
  return `test(/^L\\d+H\\d+$/, datum.value) ? '${KIND_COLOURS.head}' : test(/MLP$/, datum.value) ? '${KIND_COLOURS.mlp}' : test(/ATTN$/, datum.value) ? '${KIND_COLOURS.attn}' : '${INK}'`;
}

/** Node ids that start a new layer block (for separator lines), skipping the first block. */
function layerStarts(nodes: string[]): string[] {
  const starts: string[] = [];
  let previous: string | undefined;
  nodes.forEach((id, i) => {
    const p = parseNodeId(id);
    const block = p.layer === null ? p.kind : `L${p.layer}`;
    if (i > 0 && block !== previous) starts.push(id);
    previous = block;
  });
  return starts;
}

/** Influence-matrix heatmap of checkpoint `index` (the slider swaps the `heatmap_cells` data). */
export function heatmapSpec(model: ReportModel, index: number): VlSpec {
  const nodes = model.data.nodes;
  const ck = model.data.checkpoints[index];
  const size = Math.max(260, Math.min(620, nodes.length * 12));
  const labelSize = nodes.length > 40 ? 8 : 10;
  const max = model.maxAbsWeight > 0 ? model.maxAbsWeight : 1;
  const colourScale = model.hasNegative
    ? { type: 'linear', domain: [-max, 0, max], scheme: 'blueorange' }
    : { type: 'sqrt', domain: [0, max], scheme: 'purples', zero: true };
  // Up to 64 nodes every id is labelled; beyond that only the first node of each layer, as `L{l}`.
  const blockLabels = nodes.length > 64;
  const axis = blockLabels
    ? { values: [nodes[0], ...layerStarts(nodes)], labelExpr: "replace(datum.value, /^(L\\d+).*$/, '$1')", labelFontSize: 10, labelColor: INK, ticks: true, domain: false, labelPadding: 3 }
    : { labelFontSize: labelSize, labelColor: { expr: kindLabelColourExpr() }, ticks: false, domain: false, labelPadding: 3 };
  const starts = layerStarts(nodes).map((id) => ({ id }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: { expr: 'heatmapTitle' }, subtitle: 'Row: ablated source component; column: affected target; grey: no edge' },
    params: [{ name: 'heatmapTitle', value: `Influence matrix, step ${ck.step.toLocaleString('en-US')}` }],
    datasets: { heatmap_cells: clientHelpers.heatmapRows(ck.matrix, nodes) },
    width: size,
    height: size,
    layer: [
      {
        data: { name: 'heatmap_cells' },
        // aria off: an ARIA label per cell would multiply the SVG size; tooltips still name the cell.
        mark: { type: 'rect', aria: false },
        encoding: {
          x: { field: 'target', type: 'nominal', sort: nodes, title: 'Target (affected)', axis: { ...axis, labelAngle: blockLabels ? 0 : -90 }, scale: { domain: nodes } },
          y: { field: 'source', type: 'nominal', sort: nodes, title: 'Source (ablated)', axis, scale: { domain: nodes } },
          color: {
            condition: { test: 'datum.w === 0', value: '#f1f1f1' },
            field: 'w', type: 'quantitative', title: 'Influence', scale: colourScale,
            legend: { orient: 'right', gradientLength: Math.min(size, 240), format: '.2~f' },
          },
          tooltip: [
            { field: 'source', title: 'Source' },
            { field: 'target', title: 'Target' },
            { field: 'w', title: 'Influence', format: '.4~f' },
          ],
        },
      },
      ...(starts.length
        ? [
          { data: { values: starts }, mark: { type: 'rule', color: 'white', strokeWidth: 1.5 }, encoding: { x: { field: 'id', type: 'nominal', sort: nodes, bandPosition: 0 } } },
          { data: { values: starts }, mark: { type: 'rule', color: 'white', strokeWidth: 1.5 }, encoding: { y: { field: 'id', type: 'nominal', sort: nodes, bandPosition: 0 } } },
        ]
        : []),
    ],
    config: baseConfig(),
  };
}

/** Layered drawing of the component graph at checkpoint `index` (slider swaps `graph_*` data). */
export function graphSpec(model: ReportModel, index: number): VlSpec {
  const { positions, columnLabels, rowLabels } = model.layout;
  const ck = model.data.checkpoints[index];
  const stats = model.edgeStats[index];
  const kindNames = KIND_NAMES;
  const kinds = [...new Set(positions.map((p) => p.kind))];
  const colour = {
    scale: { domain: kinds.map((k) => KIND_NAMES[k]), range: kinds.map((k) => KIND_COLOURS[k]) },
  };
  const width = Math.max(380, Math.min(900, columnLabels.length * 88));
  const edgeLegend = { orient: 'right', format: '.2~f', symbolStrokeColor: '#777' };
  const height = Math.max(220, Math.min(620, rowLabels.length * 40));
  const x = {
    field: 'x', type: 'quantitative', title: null,
    scale: { domain: [-0.45, columnLabels.length - 0.55], nice: false, zero: false },
    axis: { values: columnLabels.map((_, i) => i), labelExpr: `${JSON.stringify(columnLabels)}[datum.value]`, grid: false, domain: false, ticks: false, orient: 'top', labelFontWeight: 600 },
  };
  const y = {
    field: 'y', type: 'quantitative', title: null,
    scale: { domain: [-0.6, Math.max(0, rowLabels.length - 1) + 0.6], reverse: true, nice: false, zero: false },
    axis: { values: rowLabels.map((_, i) => i), labelExpr: `${JSON.stringify(rowLabels)}[datum.value]`, grid: false, domain: false, ticks: false },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: { expr: 'graphTitle' }, subtitle: { expr: 'graphSubtitle' } },
    params: [
      { name: 'graphTitle', value: `Component graph, step ${ck.step.toLocaleString('en-US')}` },
      { name: 'graphSubtitle', value: graphSubtitle(stats) },
    ],
    datasets: {
      graph_edges: clientHelpers.graphEdgeRows(model.edges[index], positions, kindNames),
      graph_nodes: clientHelpers.graphNodeRows(ck.matrix, positions, kindNames),
    },
    width,
    height,
    layer: [
      {
        data: { name: 'graph_edges' },
        mark: { type: 'line', interpolate: 'basis', strokeCap: 'round', aria: false },
        encoding: {
          x: { ...x, field: 'x' }, y: { ...y, field: 'y' },
          detail: { field: 'edge' },
          order: { field: 'order' },
          // Width and opacity both grow with |influence|; Vega-Lite merges them into one legend.
          strokeWidth: { field: 'aw', type: 'quantitative', title: 'Influence', scale: { domain: [0, model.maxAbsWeight || 1], range: [0.2, 8] }, legend: edgeLegend },
          opacity: { field: 'aw', type: 'quantitative', title: 'Influence', scale: { domain: [0, model.maxAbsWeight || 1], range: [0.18, 0.75] }, legend: edgeLegend },
          color: { field: 'sourceKind', type: 'nominal', title: 'Component', ...colour, legend: null },
          tooltip: [
            { field: 'source', title: 'Source' },
            { field: 'target', title: 'Target' },
            { field: 'w', title: 'Influence', format: '.4~f' },
          ],
        },
      },
      {
        data: { name: 'graph_nodes' },
        mark: { type: 'point', filled: true, opacity: 1, stroke: 'white', strokeWidth: 1.2 },
        encoding: {
          x: { ...x, field: 'column' }, y: { ...y, field: 'row' },
          shape: { field: 'kind', type: 'nominal', title: 'Component', scale: { domain: kinds.map((k) => KIND_NAMES[k]), range: kinds.map((k) => KIND_SHAPES[k]) } },
          color: { field: 'kind', type: 'nominal', title: 'Component', ...colour },
          size: { field: 'strength', type: 'quantitative', title: 'In + out strength', scale: { domain: [0, model.maxStrength || 1], range: [25, 420] }, legend: null },
          description: { field: 'id' }, // the ARIA label of each node: its id
          tooltip: [
            { field: 'id', title: 'Component' },
            { field: 'kind', title: 'Kind' },
            { field: 'out', title: 'Out-strength', format: '.4~f' },
            { field: 'inn', title: 'In-strength', format: '.4~f' },
          ],
        },
      },
    ],
    resolve: { legend: { color: 'shared', shape: 'shared' } },
    config: baseConfig(),
  };
}

export function graphSubtitle(stats: { shown: number; nonZero: number; share: number }): string {
  return `Strongest ${stats.shown} of ${stats.nonZero} edges (${(100 * stats.share).toFixed(0)}% of total weight); node size: in + out strength`;
}

/**
 * Widest plot area of a single-view figure: with Vega's padding and axis overhang the figure stays
 * inside the report's content column (1240 px page less margins), so nothing is cut off or scrolls.
 */
export const MAX_PLOT_WIDTH = 1080;

/** Legend geometry, written into the legend so the column count below uses the numbers Vega draws with. */
const LEGEND_ENTRY = { symbolSize: 100, labelOffset: 4, columnPadding: 10, labelFontSize: 11 };

/**
 * The community legend, below the plot in as many columns as fit its width: a legend at the right
 * edge made the figure wider than the page, which cut it off. Label widths are bounded both by
 * Vega's estimate without a canvas (0.8 em per character, what sizes the static figure) and by the
 * widest font of the stack (what the browser draws).
 */
export function communityLegend(labels: string[], width: number): VlSpec {
  const { symbolSize, labelOffset, columnPadding, labelFontSize } = LEGEND_ENTRY;
  const labelWidth = Math.max(0, ...labels.map((l) => Math.max(textWidth(l, labelFontSize), 0.8 * l.length * labelFontSize)));
  const entry = Math.sqrt(symbolSize) + labelOffset + Math.ceil(labelWidth) + columnPadding;
  const fit = Math.max(1, Math.floor((width + columnPadding) / entry));
  return {
    orient: 'bottom', direction: 'horizontal', titleOrient: 'top', columns: Math.min(labels.length, fit),
    symbolType: 'square', symbolOpacity: 1, ...LEGEND_ENTRY,
  };
}

/** Alluvial diagram of communities across checkpoints (null when no checkpoint has communities). */
export function communitiesSpec(model: ReportModel): VlSpec | null {
  const layout = alluvialLayout(model.data.checkpoints);
  if (layout.bars.length === 0) return null;
  const labels = [...new Map(layout.bars.map((b) => [b.label, b.order])).entries()].sort((a, b) => a[1] - b[1]).map(([l]) => l);
  const maxSize = Math.max(...layout.bars.map((b) => b.size));
  const columns = layout.steps.length;
  const x = {
    field: 'x', type: 'quantitative', title: 'Training step',
    scale: { domain: [-0.3, columns - 0.7], nice: false, zero: false },
    axis: { values: layout.steps.map((_, i) => i), labelExpr: `${JSON.stringify(layout.steps.map(formatStep))}[datum.value]`, grid: false, labelAngle: columns > 14 ? -45 : 0 },
  };
  const yMax = Math.max(...layout.bars.map((b) => b.y1));
  const y = { type: 'quantitative', title: null, scale: { domain: [0, yMax], reverse: true, nice: false, zero: false }, axis: null };
  const width = Math.max(520, Math.min(MAX_PLOT_WIDTH, columns * 78));
  const colour = { field: 'label', type: 'nominal', title: 'Community', scale: { domain: labels, scheme: labels.length <= 10 ? 'tableau10' : COMMUNITY_SCHEME }, legend: labels.length <= 24 ? communityLegend(labels, width) : null };
  const bars = layout.bars.map((b) => ({ ...b, x0: b.column - layout.barHalfWidth, x1: b.column + layout.barHalfWidth, x: b.column, ym: (b.y0 + b.y1) / 2, showLabel: b.size >= Math.max(2, maxSize * 0.2) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Community flows between checkpoints', subtitle: 'Bars: communities (height = number of components); ribbons: components moving between communities' },
    width,
    height: 300,
    layer: [
      {
        data: { values: layout.ribbons },
        mark: { type: 'area', orient: 'vertical', opacity: 0.32 },
        encoding: {
          x, y: { ...y, field: 'y0' }, y2: { field: 'y1' },
          detail: { field: 'ribbon' },
          color: { ...colour, field: 'source' },
          tooltip: [
            { field: 'source', title: 'From' },
            { field: 'target', title: 'To' },
            { field: 'value', title: 'Components' },
            { field: 'fromStep', title: 'From step', format: ',' },
            { field: 'toStep', title: 'To step', format: ',' },
          ],
        },
      },
      {
        data: { values: bars },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.8 },
        encoding: {
          x: { ...x, field: 'x0' }, x2: { field: 'x1' }, y: { ...y, field: 'y0' }, y2: { field: 'y1' },
          color: colour,
          tooltip: [
            { field: 'label', title: 'Community' },
            { field: 'step', title: 'Step', format: ',' },
            { field: 'size', title: 'Components' },
            { field: 'members', title: 'Members' },
          ],
        },
      },
      {
        data: { values: bars },
        transform: [{ filter: 'datum.showLabel' }],
        mark: { type: 'text', color: 'white', fontSize: 9, fontWeight: 600, angle: 0 },
        encoding: { x: { ...x, field: 'x' }, y: { ...y, field: 'ym' }, text: { field: 'label' } },
      },
    ],
    config: baseConfig(),
  };
}

/** Every figure's spec; the explorer figures (heatmap, graph) at the given checkpoint. */
export function allSpecs(model: ReportModel, index = model.data.checkpoints.length - 1): Partial<Record<FigureName, VlSpec>> {
  const specs: Partial<Record<FigureName, VlSpec>> = {};
  const behaviour = behaviourSpec(model);
  if (behaviour) specs.behaviour = behaviour;
  const metrics = metricsSpec(model);
  if (metrics) specs.metrics = metrics;
  specs.roles = rolesSpec(model);
  specs.heatmap = heatmapSpec(model, index);
  specs.graph = graphSpec(model, index);
  const communities = communitiesSpec(model);
  if (communities) specs.communities = communities;
  return specs;
}
