/**
 * Pure helpers that turn `ReportData` into the tables the figures draw: node layout, phase bands,
 * role rankings, aligned communities and their flows, the strongest edges. No Vega here, so each
 * piece can be tested on its own.
 */
import type { MetricValue, ReportCheckpoint, ReportData, ReportPhases } from './types.js';
import { BEHAVIOUR_METRICS } from './types.js';

// ---------------------------------------------------------------------------------------------
// Nodes

export type NodeKind = 'head' | 'attn' | 'mlp' | 'logits' | 'embed' | 'other';

export interface ParsedNode {
  id: string;
  kind: NodeKind;
  /** Layer index, or null for EMBED / LOGITS / unknown ids. */
  layer: number | null;
  /** Head index for heads, else null. */
  head: number | null;
}

/** Reads the cntlens node-id convention (`L{l}H{h}`, `L{l}MLP`, `L{l}ATTN`, `LOGITS`, `EMBED`). */
export function parseNodeId(id: string): ParsedNode {
  let m = /^L(\d+)H(\d+)$/.exec(id);
  if (m) return { id, kind: 'head', layer: Number(m[1]), head: Number(m[2]) };
  m = /^L(\d+)MLP$/.exec(id);
  if (m) return { id, kind: 'mlp', layer: Number(m[1]), head: null };
  m = /^L(\d+)ATTN$/.exec(id);
  if (m) return { id, kind: 'attn', layer: Number(m[1]), head: null };
  if (id === 'LOGITS') return { id, kind: 'logits', layer: null, head: null };
  if (id === 'EMBED') return { id, kind: 'embed', layer: null, head: null };
  return { id, kind: 'other', layer: null, head: null };
}

export interface NodePosition extends ParsedNode {
  /** Column: 0 = first drawn column (EMBED if present, else layer 0 …), left to right. */
  column: number;
  /** Row from the top, in row units (heads first, then ATTN, then MLP). */
  row: number;
}

export interface NodeLayout {
  positions: NodePosition[];
  columnLabels: string[];
  rowLabels: string[];
}

/**
 * Layered layout of the component graph: one column per layer (heads stacked, then the layer's
 * whole-attention node, then its MLP), EMBED before layer 0, LOGITS and unrecognised ids after the
 * last layer, vertically centred.
 */
export function layoutNodes(nodes: string[]): NodeLayout {
  const parsed = nodes.map(parseNodeId);
  const layers = [...new Set(parsed.filter((p) => p.layer !== null).map((p) => p.layer as number))].sort((a, b) => a - b);
  const maxHead = Math.max(-1, ...parsed.filter((p) => p.kind === 'head').map((p) => p.head as number));
  const hasAttn = parsed.some((p) => p.kind === 'attn');
  const hasMlp = parsed.some((p) => p.kind === 'mlp');
  const rowLabels: string[] = [];
  for (let h = 0; h <= maxHead; h++) rowLabels.push(`H${h}`);
  const attnRow = hasAttn ? rowLabels.push('ATTN') - 1 : -1;
  const mlpRow = hasMlp ? rowLabels.push('MLP') - 1 : -1;
  const rowCount = Math.max(1, rowLabels.length);
  const middle = (rowCount - 1) / 2;

  const columnLabels: string[] = [];
  const hasEmbed = parsed.some((p) => p.kind === 'embed');
  if (hasEmbed) columnLabels.push('Embed');
  const layerColumn = new Map<number, number>();
  for (const l of layers) layerColumn.set(l, columnLabels.push(`Layer ${l}`) - 1);
  const extraColumn = new Map<string, number>();
  for (const p of parsed) {
    if (p.kind === 'logits' || p.kind === 'other') extraColumn.set(p.id, columnLabels.push(p.kind === 'logits' ? 'Logits' : p.id) - 1);
  }
  // Several unrecognised ids would each get a column; that is fine for a handful.
  const positions = parsed.map((p): NodePosition => {
    switch (p.kind) {
      case 'head': return { ...p, column: layerColumn.get(p.layer as number)!, row: p.head as number };
      case 'attn': return { ...p, column: layerColumn.get(p.layer as number)!, row: attnRow };
      case 'mlp': return { ...p, column: layerColumn.get(p.layer as number)!, row: mlpRow };
      case 'embed': return { ...p, column: 0, row: middle };
      default: return { ...p, column: extraColumn.get(p.id)!, row: middle };
    }
  });
  return { positions, columnLabels, rowLabels };
}

// ---------------------------------------------------------------------------------------------
// Steps and phases

export type StepScale = 'linear' | 'symlog';

/**
 * Checkpoint schedules like Pythia's (0, 1, 2, 4, …, 512, 1000, …, 143000) are unreadable on a
 * linear axis; use a symmetric log (defined at 0) when the steps span two decades or more.
 */
export function chooseStepScale(steps: number[], wanted: 'auto' | 'linear' | 'log' = 'auto'): StepScale {
  if (wanted === 'linear') return 'linear';
  if (wanted === 'log') return 'symlog';
  const positive = steps.filter((s) => s > 0);
  if (positive.length < 2 || steps.some((s) => s < 0)) return 'linear';
  return Math.max(...positive) / Math.min(...positive) >= 100 ? 'symlog' : 'linear';
}

/** Tick values for a symlog step axis: 0 (if present) and the powers of ten inside the range. */
export function symlogTicks(steps: number[]): number[] {
  const lo = Math.min(...steps);
  const hi = Math.max(...steps);
  const ticks: number[] = [];
  if (lo <= 0) ticks.push(0);
  for (let p = 1; p <= hi; p *= 10) if (p >= lo) ticks.push(p);
  return ticks;
}

/** Domain of every step axis: first to last step (one step alone gets ±1, so the scale has a width). */
export function stepDomain(steps: number[]): [number, number] {
  const lo = Math.min(...steps);
  const hi = Math.max(...steps);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/**
 * Where a step lands, in px from the left of a panel `width` px wide: the mapping of the step axis
 * that Vega draws (linear, or d3's symlog with its default constant 1: sign(x)·log(1 + |x|)), so
 * label layout can be decided before Vega runs.
 */
export function stepPixel(steps: number[], scale: StepScale, width: number): (step: number) => number {
  const t = scale === 'symlog' ? (x: number) => Math.sign(x) * Math.log1p(Math.abs(x)) : (x: number) => x;
  const [lo, hi] = stepDomain(steps).map(t);
  return (step) => ((t(step) - lo) / (hi - lo)) * width;
}

/** Band label of the declared learning-rate warm-up (not a learning phase). */
export const WARMUP_LABEL = 'warm-up';

export interface PhaseBand {
  index: number;
  label: string;
  /** Band extent in steps: from this phase's first step to the next phase's first step. */
  from: number;
  to: number;
  /** The phase's own first and last checkpoint steps. */
  start: number;
  end: number;
}

export interface BoundaryMarker {
  step: number;
  confidence: number | null;
}

/** Contiguous bands (no gaps between phases: the change happens at the next phase's first step). */
/**
 * The shaded bands of the step axis: the declared learning-rate warm-up (label `warm-up`), when
 * there is one, then each phase from its first step to the next phase's.
 */
export function phaseBands(phases: ReportPhases | undefined): PhaseBand[] {
  if (!phases) return [];
  const bands: Omit<PhaseBand, 'index'>[] = [];
  const first = phases.phases[0];
  if (phases.warmup && first) {
    bands.push({ label: WARMUP_LABEL, start: phases.warmup.start, end: phases.warmup.end, from: phases.warmup.start, to: first.start });
  }
  phases.phases.forEach((p, k) => {
    bands.push({ label: p.label, start: p.start, end: p.end, from: p.start, to: k + 1 < phases.phases.length ? phases.phases[k + 1].start : p.end });
  });
  return bands.map((b, index) => ({ index, ...b }));
}

export function boundaryMarkers(phases: ReportPhases | undefined): BoundaryMarker[] {
  if (!phases) return [];
  return phases.boundaries.map((step, k) => ({ step, confidence: phases.confidence?.[k] ?? null }));
}

/** The phase a step falls in (by the phases' own start..end), or null. */
export function phaseAt(phases: ReportPhases | undefined, step: number): string | null {
  const bands = phaseBands(phases);
  for (let k = bands.length - 1; k >= 0; k--) if (step >= bands[k].from && step <= bands[k].to) return bands[k].label;
  return null;
}

/**
 * Short forms of phase labels for bands too narrow for the full name: the shortest prefix that no
 * other label shares, first letter capitalised (exploration → E, consolidation → C, refinement → R;
 * expansion next to exploration → Expa / Expl). Should capitalisation make two short forms equal
 * (labels `a` and `A`), every label gets its number in first-seen order instead.
 */
export function phaseAbbreviations(labels: string[]): Map<string, string> {
  const unique = [...new Set(labels)];
  const short = unique.map((label) => {
    for (let n = 1; n < label.length; n++) {
      const prefix = label.slice(0, n);
      if (unique.every((other) => other === label || other.slice(0, n) !== prefix)) return prefix.charAt(0).toUpperCase() + prefix.slice(1);
    }
    return label.charAt(0).toUpperCase() + label.slice(1);
  });
  const distinct = new Set(short).size === short.length;
  return new Map(unique.map((label, k) => [label, distinct ? short[k] : String(k + 1)]));
}

export interface PhaseLabelPlacement {
  /** Index of the phase (and of its band). */
  index: number;
  label: string;
  /** What is written: the label, or its short form. */
  text: string;
  abbreviated: boolean;
  /** Step the text is anchored at (the band's left edge), and its extent in px from the panel's left. */
  from: number;
  x0: number;
  x1: number;
}

/**
 * Which phase names are written above a panel, and where. A name is written inside its own band,
 * starting `inset` px after the band's left edge and ending at least `inset` px before its right
 * edge: the full label when it fits, else its short form, else nothing (the phase legend and the
 * band's tooltip still name it). Bands do not overlap, so neither can the names, whatever the number
 * or the width of the phases; narrow phases lose their names rather than overprinting neighbours.
 *
 * @param x      step → px (see stepPixel)
 * @param width  text → px (see textWidth)
 */
export function placePhaseLabels(
  bands: PhaseBand[],
  x: (step: number) => number,
  width: (text: string) => number,
  short: Map<string, string> = phaseAbbreviations(bands.map((b) => b.label)),
  inset = 2,
): PhaseLabelPlacement[] {
  const placed: PhaseLabelPlacement[] = [];
  for (const band of bands) {
    const x0 = x(band.from) + inset;
    const room = x(band.to) - inset - x0;
    const candidates = [band.label, short.get(band.label) ?? band.label];
    const text = candidates.find((t) => width(t) <= room);
    if (text === undefined) continue;
    placed.push({ index: band.index, label: band.label, text, abbreviated: text !== band.label, from: band.from, x0, x1: x0 + width(text) });
  }
  return placed;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Graph metrics to plot: `data.graphMetrics`, else every non-behaviour metric in first-seen order. */
export function graphMetricNames(data: ReportData): string[] {
  if (data.graphMetrics) return data.graphMetrics;
  const behaviour = new Set<string>(BEHAVIOUR_METRICS);
  const names: string[] = [];
  for (const ck of data.checkpoints) for (const key of Object.keys(ck.metrics)) if (!behaviour.has(key) && !names.includes(key)) names.push(key);
  return names;
}

/** True when a metric has at least one non-null value across checkpoints. */
export function hasValues(checkpoints: ReportCheckpoint[], metric: string): boolean {
  return checkpoints.some((ck) => typeof ck.metrics[metric] === 'number');
}

// ---------------------------------------------------------------------------------------------
// Roles

export type Role = 'spreaders' | 'gatherers';

/** Out-strength (row sum) and in-strength (column sum) of every node. */
export function strengths(matrix: number[][]): { out: number[]; in: number[] } {
  const n = matrix.length;
  const out = new Array<number>(n).fill(0);
  const inn = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out[i] += matrix[i][j];
      inn[j] += matrix[i][j];
    }
  }
  return { out, in: inn };
}

/**
 * Nodes ranked best first at one checkpoint. Spreaders rank by `out_strength`, gatherers by
 * `in_strength`, taken from `nodeMetrics` when every node has it, else from the matrix's row / column
 * sums of |weight| (a negative influence is still influence). Nodes with a score of 0 are left out. Ties keep node order, so the result is deterministic.
 */
export function rankNodes(nodes: string[], ck: ReportCheckpoint, role: Role, exclude: string[] = []): string[] {
  const key = role === 'spreaders' ? 'out_strength' : 'in_strength';
  const fromMetrics = nodes.map((id) => ck.nodeMetrics?.[id]?.[key]);
  const scores = fromMetrics.every((v) => typeof v === 'number')
    ? (fromMetrics as number[])
    : role === 'spreaders' ? strengths(absolute(ck.matrix)).out : strengths(absolute(ck.matrix)).in;
  return nodes
    .map((id, i) => ({ id, i, score: scores[i] }))
    // A node that exerts (or receives) no influence has no role, whatever its position.
    .filter((r) => !exclude.includes(r.id) && r.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((r) => r.id);
}

function absolute(matrix: number[][]): number[][] {
  return matrix.map((row) => row.map(Math.abs));
}

/** Ranked lists per checkpoint: `data.roles` where given for that step, else derived. */
export function rankings(data: ReportData, role: Role, exclude: string[]): string[][] {
  return data.checkpoints.map((ck) => data.roles?.[role]?.[String(ck.step)] ?? rankNodes(data.nodes, ck, role, role === 'gatherers' ? exclude : []));
}

export interface RankRow {
  role: Role;
  node: string;
  kind: NodeKind;
  step: number;
  /** 1 = top; null where the node is outside the top K (breaks its line). */
  rank: number | null;
}

/** Bump-chart rows: every node that is ever in the top K, with its rank at each checkpoint. */
export function rankRows(data: ReportData, role: Role, topK: number, exclude: string[]): RankRow[] {
  const ranked = rankings(data, role, exclude);
  const tracked: string[] = [];
  for (const list of ranked) for (const id of list.slice(0, topK)) if (!tracked.includes(id)) tracked.push(id);
  const rows: RankRow[] = [];
  for (const id of tracked) {
    data.checkpoints.forEach((ck, c) => {
      const r = ranked[c].indexOf(id);
      rows.push({ role, node: id, kind: parseNodeId(id).kind, step: ck.step, rank: r >= 0 && r < topK ? r + 1 : null });
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Communities

export interface LabelledCommunity {
  label: string;
  /** Creation order of the label (C1 = 1), used for stable colours and stacking. */
  order: number;
  members: string[];
}

/**
 * Community-detection labels are arbitrary at each checkpoint; match each checkpoint's communities
 * to the previous checkpoint's by member overlap (largest overlaps first, greedy one-to-one), so a
 * community keeps its label and colour while it persists. Unmatched communities get new labels.
 * Checkpoints without communities get null and break the chain.
 */
export function alignCommunities(checkpoints: ReportCheckpoint[]): (LabelledCommunity[] | null)[] {
  let next = 1;
  let previous: LabelledCommunity[] | null = null;
  return checkpoints.map((ck) => {
    if (!ck.communities) {
      previous = null;
      return null;
    }
    const current = ck.communities.filter((c) => c.length > 0);
    const labels = new Array<LabelledCommunity | null>(current.length).fill(null);
    if (previous) {
      const pairs: { a: number; b: number; overlap: number }[] = [];
      previous.forEach((p, a) => {
        const members = new Set(p.members);
        current.forEach((c, b) => {
          const overlap = c.filter((id) => members.has(id)).length;
          if (overlap > 0) pairs.push({ a, b, overlap });
        });
      });
      pairs.sort((x, y) => y.overlap - x.overlap || previous![x.a].order - previous![y.a].order || x.b - y.b);
      const usedPrevious = new Set<number>();
      for (const { a, b } of pairs) {
        if (usedPrevious.has(a) || labels[b]) continue;
        usedPrevious.add(a);
        labels[b] = { label: previous[a].label, order: previous[a].order, members: current[b] };
      }
    }
    const result = current.map((members, b) => {
      if (labels[b]) return labels[b]!;
      const order = next++;
      return { label: `C${order}`, order, members };
    });
    result.sort((x, y) => x.order - y.order);
    previous = result;
    return result;
  });
}

export interface CommunityFlow {
  fromStep: number;
  toStep: number;
  source: string;
  target: string;
  /** Number of nodes that moved from source (at fromStep) to target (at toStep). */
  value: number;
}

/** Node counts moving between aligned communities of consecutive checkpoints that both have them. */
export function communityFlows(checkpoints: ReportCheckpoint[], aligned = alignCommunities(checkpoints)): CommunityFlow[] {
  const flows: CommunityFlow[] = [];
  for (let c = 1; c < checkpoints.length; c++) {
    const before = aligned[c - 1];
    const after = aligned[c];
    if (!before || !after) continue;
    const labelAfter = new Map<string, string>();
    for (const com of after) for (const id of com.members) labelAfter.set(id, com.label);
    for (const com of before) {
      const counts = new Map<string, number>();
      for (const id of com.members) {
        const target = labelAfter.get(id);
        if (target !== undefined) counts.set(target, (counts.get(target) ?? 0) + 1);
      }
      for (const t of after) {
        const value = counts.get(t.label);
        if (value) flows.push({ fromStep: checkpoints[c - 1].step, toStep: checkpoints[c].step, source: com.label, target: t.label, value });
      }
    }
  }
  return flows;
}

export interface AlluvialBar {
  column: number;
  step: number;
  label: string;
  order: number;
  size: number;
  y0: number;
  y1: number;
  members: string;
}

export interface AlluvialRibbonPoint {
  ribbon: string;
  source: string;
  sourceOrder: number;
  target: string;
  fromStep: number;
  toStep: number;
  value: number;
  x: number;
  y0: number;
  y1: number;
}

export interface Alluvial {
  bars: AlluvialBar[];
  ribbons: AlluvialRibbonPoint[];
  /** Steps of the drawn columns (checkpoints that have communities). */
  steps: number[];
  barHalfWidth: number;
}

/**
 * Geometry of an alluvial diagram: a column of stacked community bars per checkpoint (stacked in
 * label order, one unit of height per node) and ribbons between consecutive columns, each ribbon's
 * ends stacked inside its bars in the order of the community at the other end, which keeps
 * crossings few. Ribbons are sampled along a smoothstep curve so a plain area mark draws them.
 */
export function alluvialLayout(checkpoints: ReportCheckpoint[], samples = 16): Alluvial {
  const aligned = alignCommunities(checkpoints);
  const columns = checkpoints.map((ck, c) => ({ step: ck.step, coms: aligned[c] })).filter((x) => x.coms !== null) as { step: number; coms: LabelledCommunity[] }[];
  const total = Math.max(1, ...columns.map((col) => col.coms.reduce((s, com) => s + com.members.length, 0)));
  const gap = Math.max(1, total * 0.03);
  const barHalfWidth = 0.09;
  const bars: AlluvialBar[] = [];
  const barAt = new Map<string, AlluvialBar>();
  columns.forEach((col, x) => {
    let y = 0;
    for (const com of col.coms) {
      const bar: AlluvialBar = {
        column: x, step: col.step, label: com.label, order: com.order, size: com.members.length,
        y0: y, y1: y + com.members.length, members: summariseMembers(com.members),
      };
      bars.push(bar);
      barAt.set(`${x}|${com.label}`, bar);
      y += com.members.length + gap;
    }
  });
  const ribbons: AlluvialRibbonPoint[] = [];
  const allFlows = communityFlows(checkpoints, aligned);
  for (let x = 1; x < columns.length; x++) {
    const fromStep = columns[x - 1].step;
    const toStep = columns[x].step;
    const flows = allFlows.filter((f) => f.fromStep === fromStep && f.toStep === toStep);
    // Ends stacked by the other end's order: outgoing by target, incoming by source.
    const outOffset = new Map<string, number>();
    const inOffset = new Map<string, number>();
    const byTarget = [...flows].sort((a, b) => barAt.get(`${x}|${a.target}`)!.order - barAt.get(`${x}|${b.target}`)!.order);
    const sourceTop = new Map<typeof flows[number], number>();
    for (const f of byTarget) {
      const offset = outOffset.get(f.source) ?? 0;
      sourceTop.set(f, barAt.get(`${x - 1}|${f.source}`)!.y0 + offset);
      outOffset.set(f.source, offset + f.value);
    }
    const bySource = [...flows].sort((a, b) => barAt.get(`${x - 1}|${a.source}`)!.order - barAt.get(`${x - 1}|${b.source}`)!.order);
    for (const f of bySource) {
      const offset = inOffset.get(f.target) ?? 0;
      const targetTop = barAt.get(`${x}|${f.target}`)!.y0 + offset;
      inOffset.set(f.target, offset + f.value);
      const top0 = sourceTop.get(f)!;
      const x0 = x - 1 + barHalfWidth;
      const x1 = x - barHalfWidth;
      const source = barAt.get(`${x - 1}|${f.source}`)!;
      for (let k = 0; k <= samples; k++) {
        const u = k / samples;
        const s = u * u * (3 - 2 * u); // smoothstep: flat at both ends, so ribbons leave bars horizontally
        const top = top0 + (targetTop - top0) * s;
        ribbons.push({
          ribbon: `${fromStep}:${f.source}>${f.target}`, source: f.source, sourceOrder: source.order, target: f.target,
          fromStep, toStep, value: f.value, x: x0 + (x1 - x0) * u, y0: top, y1: top + f.value,
        });
      }
    }
  }
  return { bars, ribbons, steps: columns.map((c) => c.step), barHalfWidth };
}

function summariseMembers(members: string[], max = 12): string {
  return members.length <= max ? members.join(', ') : `${members.slice(0, max).join(', ')}, … (+${members.length - max})`;
}

// ---------------------------------------------------------------------------------------------
// Edges

export interface Edge {
  source: number;
  target: number;
  weight: number;
}

export interface EdgeSelection {
  edges: Edge[];
  /** Number of non-zero entries in the matrix. */
  nonZero: number;
  /** Share of the total |weight| carried by the selected edges. */
  share: number;
}

/** The `count` strongest edges by |weight| (ties: row-major order); zero entries are not edges. */
export function strongestEdges(matrix: number[][], count: number): EdgeSelection {
  const all: Edge[] = [];
  let total = 0;
  matrix.forEach((row, i) => row.forEach((w, j) => {
    if (w !== 0) {
      all.push({ source: i, target: j, weight: w });
      total += Math.abs(w);
    }
  }));
  all.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.source - b.source || a.target - b.target);
  const edges = all.slice(0, Math.max(0, count));
  const kept = edges.reduce((s, e) => s + Math.abs(e.weight), 0);
  return { edges, nonZero: all.length, share: total > 0 ? kept / total : 0 };
}

/** Largest |value| over all matrices (fixes colour / width scales across checkpoints). */
export function matrixRange(checkpoints: ReportCheckpoint[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const ck of checkpoints) for (const row of ck.matrix) for (const w of row) {
    if (w < min) min = w;
    if (w > max) max = w;
  }
  return { min, max };
}

/** Rounds to `digits` significant digits (keeps the inlined data small). */
export function roundSig(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

export function metricOrNull(v: MetricValue | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
