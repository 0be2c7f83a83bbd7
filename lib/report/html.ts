/**
 * The self-contained report page: header with settings and a summary, one section per figure, and
 * a checkpoint slider that switches the heatmap and the component graph. Vega's UMD bundle, the
 * pre-compiled Vega specs and the data are inlined, so the file opens from disk with no network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as vega from 'vega';
import { CLIENT_HELPERS_JS } from './client.js';
import { rankings } from './derive.js';
import { formatStep, graphSubtitle, type FigureName, type ReportModel } from './specs.js';
import { KIND_COLOURS, KIND_NAMES, metricTitle, phaseColours } from './theme.js';
import { parseNodeId } from './derive.js';
import type { Finding, FindingsResult, Verdict } from '../findings/findings.js';
import { BEHAVIOUR_METRICS, type ReportData, type ReportPhase, type ReportPhaseChange, type ReportPhases } from './types.js';
import { FINDING_KEYS } from './validate.js';

const require = createRequire(import.meta.url);

/**
 * The minified Vega UMD bundle shipped with the `vega` package (build/vega.min.js, next to the
 * module entry point; the package's exports map does not expose it by name).
 */
export function vegaBundle(): string {
  const file = path.join(path.dirname(require.resolve('vega')), 'vega.min.js');
  return readFileSync(file, 'utf8');
}

export function vegaVersion(): string {
  return vega.version;
}

/** Heatmaps of more nodes than this are drawn on canvas in the browser (speed). */
export const HEATMAP_CANVAS_ABOVE = 64;

export const FIGURE_TEXT: Record<FigureName, { heading: string; text: string }> = {
  behaviour: {
    heading: 'Behaviour',
    text: 'Loss on the repeated half of induction prompts (random tokens followed by the same tokens again) falls once the model can copy from context. The in-context-learning score compares loss late in the context with loss early in it (Olsson et al., 2022, “In-context learning and induction heads”), and the induction score is that of the most induction-like head. Shaded bands are the learning phases detected over the checkpoint series, named above the plot where there is room (a narrow band shows a short form such as E for exploration, or nothing: the legend and the band’s tooltip name it); dashed lines mark their boundaries (darker = more confident).',
  },
  metrics: {
    heading: 'Network metrics',
    text: 'Each panel is one metric of the weighted directed influence graph (components as nodes, ablation influence as edge weights) at every checkpoint, on its own y scale. A gap in a line means the metric is undefined at that checkpoint. Bands and dashed lines: phases and boundaries, as above.',
  },
  roles: {
    heading: 'Spreaders and gatherers',
    text: 'Spreaders are components whose ablation changes many others (high out-strength: the row sum of the influence matrix); gatherers are components that many others change (high in-strength: the column sum). Each line follows one component’s rank among the top ones; circles are attention heads, squares MLPs.',
  },
  heatmap: {
    heading: 'Influence matrix',
    text: 'Entry (row i, column j) is the influence of ablating source i on target j at the selected checkpoint. The colour scale (square root) is fixed across checkpoints, so checkpoints can be compared; axis labels are blue for attention heads and orange for MLPs; white lines separate layers.',
  },
  graph: {
    heading: 'Component graph',
    text: 'The same checkpoint drawn as a layered graph: one column per layer (heads stacked, MLP at the bottom), edges for the strongest connections with width proportional to influence, coloured by the kind of the source component; node size is the component’s total (in + out) strength.',
  },
  communities: {
    heading: 'Community flows',
    text: 'Communities of the influence graph at each checkpoint, matched across checkpoints by shared members so a community keeps its label and colour while it persists. Ribbons show how many components move from one community to another between consecutive checkpoints.',
  },
};

/** Heatmap caption when some influence is negative (diverging colour scale instead of square root). */
const HEATMAP_TEXT_SIGNED = 'Entry (row i, column j) is the influence of ablating source i on target j at the selected checkpoint; some influences are negative, so the colour scale diverges from 0 (orange positive, blue negative) and is fixed across checkpoints. Axis labels are blue for attention heads and orange for MLPs; white lines separate layers.';

export interface HtmlInput {
  model: ReportModel;
  /** Compiled Vega specs by figure. */
  specs: Partial<Record<FigureName, vega.Spec>>;
  /** Relative folder of the static figures, or null when none were written. */
  figureDir: string | null;
}

export function renderHtml({ model, specs, figureDir }: HtmlInput): string {
  const data = model.data;
  const last = data.checkpoints.length - 1;
  const explorer = {
    nodes: data.nodes,
    layout: model.layout.positions,
    kindNames: KIND_NAMES,
    canvasAbove: HEATMAP_CANVAS_ABOVE,
    checkpoints: data.checkpoints.map((ck, c) => ({
      step: ck.step,
      name: ck.name ?? `step ${ck.step}`,
      phase: phaseOf(model, ck.step),
      graphSubtitle: graphSubtitle(model.edgeStats[c]),
    })),
    matrices: data.checkpoints.map((ck) => ck.matrix.map((row) => row.map((w) => roundSig(w)))),
    edges: model.edges.map((list) => list.map(([i, j, w]) => [i, j, roundSig(w)])),
  };
  const sections: string[] = [];
  const figure = (name: FigureName, extraClass = '', caption = ''): string => {
    if (!specs[name]) return '';
    const links = figureDir
      ? `<p class="files">Static figure${name === 'heatmap' || name === 'graph' ? ' (final checkpoint)' : ''}: <a href="${esc(figureDir)}/${name}.svg">SVG</a> · <a href="${esc(figureDir)}/${name}.png">PNG</a></p>`
      : '';
    const inner = `<div class="vega" id="fig-${name}" data-figure="${name}" role="img" aria-label="${esc(FIGURE_TEXT[name].heading)}"></div>`;
    if (caption) return `<figure class="figure ${extraClass}">${inner}<figcaption>${esc(caption)}${links}</figcaption></figure>`;
    return `<figure class="figure ${extraClass}">${inner}${links}</figure>`;
  };
  const section = (name: FigureName): void => {
    if (!specs[name]) return;
    sections.push(`<section id="${name}"><h2>${esc(FIGURE_TEXT[name].heading)}</h2><p class="explain">${esc(FIGURE_TEXT[name].text)}</p>${figure(name)}</section>`);
  };
  section('behaviour');
  section('metrics');
  section('roles');
  sections.push(`<section id="explorer"><h2>Checkpoint explorer</h2>
<p class="explain">Move the slider (or press ▶) to step through the checkpoints; the influence matrix and the component graph follow it.</p>
<div class="slider">
  <button type="button" id="checkpoint-play" aria-label="Play through the checkpoints">▶</button>
  <label for="checkpoint-slider">Checkpoint</label>
  <input type="range" id="checkpoint-slider" min="0" max="${last}" step="1" value="${last}">
  <output id="checkpoint-label" for="checkpoint-slider">${esc(checkpointLabel(explorer.checkpoints[last]))}</output>
</div>
<div class="explorer-grid">${figure('heatmap', 'heatmap', model.hasNegative ? HEATMAP_TEXT_SIGNED : FIGURE_TEXT.heatmap.text)}${figure('graph', 'graph', FIGURE_TEXT.graph.text)}</div>
</section>`);
  section('communities');

  const nav = [
    ...(data.findings ? [['findings', 'Findings']] : []),
    ['summary', 'Summary'], ...(['behaviour', 'metrics', 'roles'] as FigureName[]).filter((n) => specs[n]).map((n) => [n, FIGURE_TEXT[n].heading]),
    ['explorer', 'Checkpoint explorer'], ...(specs.communities ? [['communities', FIGURE_TEXT.communities.heading]] : []),
  ].map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cntlens report (Vega ${esc(vegaVersion())})">
<title>${esc(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>${esc(data.title)}</h1>
  ${data.subtitle ? `<p class="subtitle">${esc(data.subtitle)}</p>` : ''}
  <nav>${nav}</nav>
</header>
<main>
${data.findings ? findingsSection(data.findings, data) : ''}
<section id="summary"><h2>Summary</h2>${summaryHtml(model)}<h3 id="settings">Settings</h3>${settingsTable(data.settings)}</section>
${sections.join('\n')}
</main>
<footer>Made with cntlens. Figures drawn with Vega ${esc(vegaVersion())} from Vega-Lite specifications; the static SVG/PNG files are rendered from the same specifications.</footer>
<script>${scriptSafe(vegaBundle())}</script>
<script type="application/json" id="cntlens-specs">${jsonForScript(withoutSliderData(specs))}</script>
<script type="application/json" id="cntlens-explorer">${jsonForScript(explorer)}</script>
<script>${scriptSafe(CLIENT_HELPERS_JS)}
${GLUE_JS}</script>
</body>
</html>
`;
}

/** Datasets the slider fills in the browser (from the compact matrices), so not inlined twice. */
const SLIDER_DATASETS = new Set(['heatmap_cells', 'graph_edges', 'graph_nodes']);

function withoutSliderData(specs: Partial<Record<FigureName, vega.Spec>>): Partial<Record<FigureName, vega.Spec>> {
  const out: Partial<Record<FigureName, vega.Spec>> = {};
  for (const [name, spec] of Object.entries(specs) as [FigureName, vega.Spec][]) {
    out[name] = { ...spec, data: spec.data?.map((d) => (SLIDER_DATASETS.has(d.name) && 'values' in d ? { ...d, values: [] } : d)) };
  }
  return out;
}

function phaseOf(model: ReportModel, step: number): string | null {
  for (let k = model.bands.length - 1; k >= 0; k--) if (step >= model.bands[k].from && step <= model.bands[k].to) return model.bands[k].label;
  return null;
}

function checkpointLabel(ck: { step: number; name: string; phase: string | null }): string {
  return `step ${ck.step.toLocaleString('en-US')}${ck.name !== `step ${ck.step}` ? ` (${ck.name})` : ''}${ck.phase ? ` · ${ck.phase}` : ''}`;
}

function roundSig(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(5));
}

// ---------------------------------------------------------------------------------------------
// Summary and settings

function summaryHtml(model: ReportModel): string {
  const data = model.data;
  const first = data.checkpoints[0];
  const last = data.checkpoints[data.checkpoints.length - 1];
  const kinds = data.nodes.map((id) => parseNodeId(id));
  const count = (k: string) => kinds.filter((p) => p.kind === k).length;
  const layers = new Set(kinds.filter((p) => p.layer !== null).map((p) => p.layer)).size;
  const parts: string[] = [];
  const facts = [
    ['Checkpoints', `${data.checkpoints.length} (steps ${first.step.toLocaleString('en-US')} – ${last.step.toLocaleString('en-US')})`],
    ['Components', `${data.nodes.length}: ${[`${count('head')} attention heads`, `${count('mlp')} MLPs`, count('attn') ? `${count('attn')} attention blocks` : '', count('logits') ? 'logits' : '', count('embed') ? 'embedding' : ''].filter(Boolean).join(', ')} in ${layers} layer${layers === 1 ? '' : 's'}`],
    ['Phases', data.phases ? `${data.phases.phases.length} (${data.phases.phases.map((p) => p.label).join(' → ')})` : 'not computed'],
  ];
  for (const metric of BEHAVIOUR_METRICS) {
    const a = first.metrics[metric];
    const b = last.metrics[metric];
    if (typeof a === 'number' || typeof b === 'number') facts.push([metricTitle(metric), `${fmt(a)} → ${fmt(b)} (first → last checkpoint)`]);
  }
  parts.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  if (data.summary?.length) parts.push(`<ul class="notes">${data.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`);
  if (data.phases && data.phases.phases.length) parts.push(phaseTable(model));
  const spreaders = rankings(data, 'spreaders', model.roleExclude)[data.checkpoints.length - 1].slice(0, model.topK);
  const gatherers = rankings(data, 'gatherers', model.roleExclude)[data.checkpoints.length - 1].slice(0, model.topK);
  parts.push(`<div class="roles"><div><h3>Top spreaders at step ${esc(last.step.toLocaleString('en-US'))}</h3>${chipList(spreaders)}</div><div><h3>Top gatherers at step ${esc(last.step.toLocaleString('en-US'))}</h3>${chipList(gatherers)}</div></div>`);
  return parts.join('\n');
}

/**
 * The phase table fits the page at any number of statistics: five narrow fixed columns and one
 * details column that wraps (the label's reason, merged boundaries, and the statistics folded in a
 * <details>), where one column per statistic made the table scroll sideways. A row between two
 * phases says what changed at their boundary (`phases.changes`, when the data has it).
 */
function phaseTable(model: ReportModel): string {
  const phases = model.data.phases!;
  const colours = phaseColours(phases.phases.map((p) => p.label));
  const hasDetails = phases.phases.some((p) => p.reason || p.merged?.length || Object.keys(p.stats ?? {}).length);
  const columns = hasDetails ? 6 : 5;
  const rows: string[] = [];
  for (const [k, group] of changesBeforePhases(phases).entries()) {
    for (const change of group) rows.push(boundaryRow(change, phases, columns));
    const p = phases.phases[k];
    if (!p) continue;
    const colour = colours.range[colours.domain.indexOf(p.label)];
    const nCk = model.steps.filter((s) => s >= p.start && s <= p.end).length;
    const conf = k > 0 ? phases.confidence?.[k - 1] : undefined;
    const details = hasDetails ? `<td class="details">${phaseDetails(p)}</td>` : '';
    rows.push(`<tr class="phase"><td>${k + 1}</td><td><span class="swatch" style="background:${colour}"></span>${esc(p.label)}</td><td class="num">${esc(formatStep(p.start))} – ${esc(formatStep(p.end))}</td><td class="num">${nCk}</td><td class="num">${conf === undefined ? '—' : esc(conf.toFixed(2))}</td>${details}</tr>`);
  }
  const method = phases.method ? `<p class="method">${esc(phases.method)}</p>` : '';
  const cols = ['num', 'phase', 'steps', 'count', 'conf', ...(hasDetails ? ['details'] : [])].map((c) => `<col class="col-${c}">`).join('');
  return `<h3>Learning phases</h3>${method}<table class="phases"><colgroup>${cols}</colgroup><thead><tr><th>#</th><th>Phase</th><th>Steps</th><th>Checkpoints</th><th>Boundary confidence</th>${hasDetails ? '<th>Details</th>' : ''}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * `phases.changes` grouped by the phase row they precede: a change goes before the first phase
 * that starts at or after its step (the phase its boundary opens); entry `phases.length` holds
 * changes after the last phase start, so none is dropped whatever its step.
 */
export function changesBeforePhases(phases: ReportPhases): ReportPhaseChange[][] {
  const groups: ReportPhaseChange[][] = Array.from({ length: phases.phases.length + 1 }, () => []);
  const sorted = [...(phases.changes ?? [])].sort((a, b) => a.step - b.step);
  for (const change of sorted) {
    const k = phases.phases.findIndex((p) => p.start >= change.step);
    groups[k < 0 ? phases.phases.length : k].push(change);
  }
  return groups;
}

/** One boundary's sentence, with its confidence (the change's own, else the boundary's). */
function boundaryRow(change: ReportPhaseChange, phases: ReportPhases, columns: number): string {
  const b = phases.boundaries.indexOf(change.step);
  const confidence = change.confidence ?? (b >= 0 ? phases.confidence?.[b] : undefined);
  const conf = typeof confidence === 'number' ? ` (confidence ${confidence.toFixed(2)})` : '';
  const metrics = change.metrics.length
    ? `<details><summary>Metrics that changed most</summary><ul class="change-metrics">${change.metrics.map((m) => `<li>${esc(metricTitle(m.metric))}: level jump ${esc(fmt(m.levelJump))}, slope ${esc(fmt(m.slopeBefore))} → ${esc(fmt(m.slopeAfter))}${typeof m.share === 'number' ? `, ${Math.round(100 * m.share)}% of the change` : ''}</li>`).join('')}</ul></details>`
    : '';
  return `<tr class="boundary"><td></td><td colspan="${columns - 1}"><span class="boundary-step">Boundary at step ${esc(change.step.toLocaleString('en-US'))}:</span> ${esc(change.summary)}${esc(conf)}${metrics}</td></tr>`;
}

/** The details cell of a phase: why its label, which boundaries merged into it, its statistics (folded). */
function phaseDetails(p: ReportPhase): string {
  const parts: string[] = [];
  if (p.reason) parts.push(`<p class="reason">${esc(p.reason)}</p>`);
  if (p.merged?.length) parts.push(`<p class="merged">Merged (same label on both sides): ${p.merged.map((m) => `step ${esc(m.step.toLocaleString('en-US'))} (${esc(m.reason)})`).join('; ')}</p>`);
  const stats = Object.entries(p.stats ?? {});
  if (stats.length) parts.push(`<details><summary>${stats.length} statistic${stats.length === 1 ? '' : 's'}</summary><ul class="stats">${stats.map(([k, v]) => `<li><span class="key">${esc(metricTitle(k))}</span> <span class="num">${esc(fmt(v))}</span></li>`).join('')}</ul></details>`);
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Findings

/** Each verdict's badge: its class, a symbol (the verdict reads without colour too) and what it means. */
export const VERDICT_BADGES: Record<Verdict, { cls: string; symbol: string; meaning: string }> = {
  supported: { cls: 'supported', symbol: '✓', meaning: 'the test rejects the null at the per-claim level and the claim holds' },
  'not supported': { cls: 'not-supported', symbol: '✗', meaning: 'the data do not show what the claim says' },
  'not beyond structure': { cls: 'structure', symbol: '≈', meaning: 'as the claim says, but no more than the layered architecture forces on its own (the block-permuted graphs do the same)' },
  undetermined: { cls: 'undetermined', symbol: '?', meaning: 'the data cannot say (too few checkpoints, no phases, too few edges, or no interval)' },
};

/** Claim-level reasons for a missing interval when `unavailable` has none for the claim. */
const NO_INTERVAL: Partial<Record<(typeof FINDING_KEYS)[number], string>> = {
  longTail: 'a test statistic, judged by its p-value',
};

/**
 * The Findings section: one row per claim (claim and statistic, verdict badge, value with its 95%
 * interval and p-value, the one-sentence reason), the line saying how verdicts are made, then the
 * supporting tables (rank stability per phase, the tail per phase, the role-trajectory groups),
 * each left out when the findings lack it.
 */
export function findingsSection(f: FindingsResult, data: ReportData): string {
  const unavailable = f.unavailable ?? {};
  const rows = FINDING_KEYS.map((key) => {
    const c: Finding = f[key];
    const why = unavailable[key] ?? NO_INTERVAL[key] ?? unavailable.intervals ?? 'too few usable prompt resamples';
    const interval = c.interval
      ? `<span class="ci">95% CI [${esc(fmtStat(c.interval[0]))}, ${esc(fmtStat(c.interval[1]))}]</span>`
      : `<span class="ci none">no interval: ${esc(why)}</span>`;
    return `<tr class="claim" data-claim="${key}" data-verdict="${esc(c.verdict)}">`
      + `<td><span class="claim-text">${esc(capitalise(c.claim))}</span><span class="statistic">${esc(c.statistic)}</span></td>`
      + `<td>${verdictBadge(c.verdict)}</td>`
      + `<td class="estimate"><span class="value">${esc(fmtStat(c.value))}</span>${interval}<span class="p">${c.p === null ? 'no p-value' : `p = ${esc(fmtP(c.p))}`}</span></td>`
      + `<td class="sentence">${esc(c.sentence)}</td></tr>`;
  }).join('');
  const table = `<table class="findings"><colgroup><col class="col-claim"><col class="col-verdict"><col class="col-estimate"><col class="col-sentence"></colgroup>`
    + `<thead><tr><th>Claim and statistic</th><th>Verdict</th><th>Value</th><th>Why</th></tr></thead><tbody>${rows}</tbody></table>`;
  const extras = [stabilityByPhase(f, data), tailByPhase(f)].filter(Boolean);
  const grid = extras.length ? `<div class="findings-details">${extras.join('')}</div>` : '';
  return `<section id="findings"><h2>Findings</h2>${methodLine(f)}${table}${beyondStructure(f)}${grid}${trajectoryGroups(f)}</section>`;
}

function verdictBadge(verdict: Verdict): string {
  const b = VERDICT_BADGES[verdict];
  return `<span class="verdict ${b.cls}" title="${esc(`${verdict}: ${b.meaning}`)}"><span aria-hidden="true">${b.symbol}</span> ${esc(verdict)}</span>`;
}

/** How the verdicts are made: the corrected level, the null model, the resamples. */
function methodLine(f: FindingsResult): string {
  const s = f.settings;
  const claims = typeof s.level === 'number' && s.perClaimLevel > 0 ? Math.round(s.level / s.perClaimLevel) : FINDING_KEYS.length;
  const level = typeof s.level === 'number'
    ? `one-sided tests at level ${fmtStat(s.level)}, Bonferroni-corrected over the ${claims} claims (${fmtStat(s.perClaimLevel)} each)`
    : `one-sided tests at ${fmtStat(s.perClaimLevel)} per claim (Bonferroni-corrected)`;
  const nullModel = s.nullModel === 'block'
    ? 'null model ‘block’ (weights permuted within blocks of edges of the same source and target layer and kind)'
    : `null model ‘${s.nullModel}’`;
  const resamples = s.resamplesUsed > 0
    ? `95% intervals from ${s.resamplesUsed} prompt resamples`
    : `no intervals (${f.unavailable?.intervals ?? 'no prompt resamples'})`;
  return `<p class="method findings-method">How the verdicts are made: ${esc(level)}; ${esc(nullModel)}; ${esc(resamples)}.</p>`;
}

/** Mean consecutive τ-b per phase, raw and null-corrected, spreaders and gatherers. */
function stabilityByPhase(f: FindingsResult, data: ReportData): string {
  const d = f.details;
  const sp = d?.spreader;
  const ga = d?.gatherer;
  const series = [sp?.raw, sp?.nullCorrected, ga?.raw, ga?.nullCorrected];
  const segments = Math.max(0, ...series.map((s) => s?.perSegment?.length ?? 0));
  if (!sp && !ga) return '';
  const labels = data.phases?.phases.map((p) => p.label) ?? [];
  const phaseLabel = (k: number) => (segments === labels.length ? labels[k] : `phase ${k + 1}`);
  const cell = (v: number | null | undefined) => `<td class="num">${esc(fmtStat(v ?? null))}</td>`;
  const rows: string[] = [];
  for (let k = 0; k < segments; k++) rows.push(`<tr><td>${esc(phaseLabel(k))}</td>${series.map((s) => cell(s?.perSegment?.[k])).join('')}</tr>`);
  rows.push(`<tr class="all"><td>all phases</td>${series.map((s) => cell(s?.mean)).join('')}</tr>`);
  const z = (role: string, s: typeof sp) => (s?.structure ? `${role} z = ${fmtStat(s.structure.z)}, p = ${s.structure.p === null ? '—' : fmtP(s.structure.p)}` : '');
  const against = [z('spreaders', sp), z('gatherers', ga)].filter(Boolean).join('; ');
  return `<div><h3>Rank stability by phase</h3><p class="method">Mean Kendall τ-b between consecutive checkpoints’ rankings${against ? `; against the block null: ${esc(against)}` : ''}.</p>`
    + `<table class="findings-small"><thead><tr><th rowspan="2">Phase</th><th colspan="2" class="num">Spreaders</th><th colspan="2" class="num">Gatherers</th></tr>`
    + `<tr><th class="num">raw</th><th class="num">null-corrected</th><th class="num">raw</th><th class="num">null-corrected</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** The tail per phase: shares of checkpoints long-tailed, plausibly power-law, better log-normal. */
function tailByPhase(f: FindingsResult): string {
  const tail = f.details?.tail;
  if (!tail?.perPhase?.length) return '';
  const share = (v: number | null | undefined) => `<td class="num">${typeof v === 'number' && Number.isFinite(v) ? `${Math.round(100 * v)}%` : '—'}</td>`;
  const rows = tail.perPhase.map((p) => `<tr><td>${esc(p.label)}</td><td class="num steps">${esc(fmtSteps(p.start, p.end))}</td>${share(p.longTailed)}${share(p.plausiblePowerLaw)}${share(p.lognormalPreferred)}</tr>`);
  const alpha = tail.finalAlpha?.value;
  const ci = tail.finalAlpha?.interval;
  const final = typeof alpha === 'number' && Number.isFinite(alpha)
    ? ` Final checkpoint: α = ${fmtStat(alpha)}${ci ? ` (95% CI [${fmtStat(ci[0])}, ${fmtStat(ci[1])}])` : ''}.`
    : '';
  return `<div><h3>Edge-weight tail by phase</h3><p class="method">Share of each phase’s checkpoints whose weight tail is heavier than exponential (likelihood ratio), plausible as a power law (goodness of fit p ≥ 0.1), better fitted by a log-normal.${esc(final)}</p>`
    + `<table class="findings-small"><thead><tr><th>Phase</th><th class="num">Steps</th><th class="num">Long-tailed</th><th class="num">Plausible power law</th><th class="num">Log-normal preferred</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** The roles beyond structure at the final checkpoint: the five highest strength z-scores of each role. */
function beyondStructure(f: FindingsResult): string {
  const b = f.details?.beyondStructure;
  if (!b || (!b.spreaders?.length && !b.gatherers?.length)) return '';
  const top = (list: { id: string; z: number }[]) => list.slice(0, 5).map((e) => `${e.id} (z ${fmtStat(e.z)})`).join(', ');
  return `<p class="method">Roles beyond structure at step ${esc(formatStep(b.step))} (strength z-scores against the block null): spreaders ${esc(top(b.spreaders))}; gatherers ${esc(top(b.gatherers))}.</p>`;
}

/** The role-trajectory groups (k-means over each component's null-corrected strengths over training). */
function trajectoryGroups(f: FindingsResult): string {
  const t = f.details?.trajectories;
  if (!t || !t.groups?.length) return '';
  const total = t.groups.reduce((s, g) => s + g.members.length, 0);
  const groups = t.groups.map((g, k) => `<li><span class="group-name">Group ${k + 1} (${g.members.length})</span>${memberList(g.members)}</li>`).join('');
  const list = `<ol class="groups">${groups}</ol>`;
  const head = `<h3>Role trajectories</h3><p class="method">Components grouped by their null-corrected out- and in-strength over training (k-means, k chosen by the mean silhouette): k = ${esc(String(t.k))}, silhouette ${esc(fmtStat(t.silhouette))}.</p>`;
  // Many components: fold the groups so the findings stay short.
  return total > 60 ? `${head}<details><summary>${t.groups.length} groups of ${total} components</summary>${list}</details>` : `${head}${list}`;
}

function memberList(ids: string[]): string {
  return `<ul class="members">${ids.map((id) => `<li><span class="chip" style="border-color:${KIND_COLOURS[parseNodeId(id).kind]}">${esc(id)}</span></li>`).join('')}</ul>`;
}

function capitalise(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function fmtSteps(start: number | null | undefined, end: number | null | undefined): string {
  const f = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? formatStep(v) : '—');
  return `${f(start)} – ${f(end)}`;
}

/** A statistic: at most three decimals (trailing zeros dropped), exponent form for very large or small values. */
function fmtStat(v: number | null): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  return abs >= 1e4 || abs < 1e-3 ? v.toExponential(1) : String(Number(v.toFixed(3)));
}

function fmtP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

function chipList(ids: string[]): string {
  if (ids.length === 0) return '<p>—</p>';
  return `<ol class="chips">${ids.map((id) => `<li><span class="chip" style="border-color:${KIND_COLOURS[parseNodeId(id).kind]}">${esc(id)}</span></li>`).join('')}</ol>`;
}

function settingsTable(settings: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const walk = (value: unknown, key: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, key ? `${key}.${k}` : k);
      return;
    }
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text === undefined) text = String(value);
    if (text.length > 300) text = `${text.slice(0, 300)}… (${text.length} characters)`;
    rows.push([key, text]);
  };
  for (const [k, v] of Object.entries(settings)) walk(v, k);
  if (rows.length === 0) return '<p>—</p>';
  // Open when short; a long configuration starts folded so the figures stay near the top.
  return `<details${rows.length <= 16 ? ' open' : ''}><summary>${rows.length} settings of the run</summary><table class="settings"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`).join('')}</tbody></table></details>`;
}

function fmt(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  return abs >= 1e4 || abs < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

// ---------------------------------------------------------------------------------------------
// Escaping

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script type="application/json">: `<` escaped so no `</script>` can close it early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A script body must not contain `</script`; the Vega bundle does not, but check rather than trust. */
function scriptSafe(js: string): string {
  if (/<\/script/i.test(js)) return js.replace(/<\/script/gi, '<\\/script');
  return js;
}

// ---------------------------------------------------------------------------------------------
// Browser glue (plain ES5-ish JavaScript; runs after the Vega bundle and the helpers)

const GLUE_JS = String.raw`
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('cntlens-specs').textContent);
  var ex = JSON.parse(document.getElementById('cntlens-explorer').textContent);
  var views = {};
  var api = { views: views, show: show, ready: null };
  window.cntlens = api;

  function render(name) {
    var el = document.getElementById('fig-' + name);
    try {
      // A big heatmap (n² cells) redraws far faster on canvas; everything else stays SVG.
      var renderer = name === 'heatmap' && ex.nodes.length > ex.canvasAbove ? 'canvas' : 'svg';
      var view = new vega.View(vega.parse(specs[name]), { renderer: renderer, container: el, hover: true, tooltip: showTooltip });
      views[name] = view;
      return view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Tooltips: one floating box for the page (Vega calls this with the hovered item's tooltip value).
  var tip = document.createElement('div');
  tip.className = 'tooltip';
  tip.setAttribute('role', 'tooltip');
  document.body.appendChild(tip);
  function showTooltip(handler, event, item, value) {
    if (value == null || value === '') { tip.style.display = 'none'; return; }
    tip.textContent = '';
    if (typeof value === 'object') {
      var table = document.createElement('table');
      Object.keys(value).forEach(function (key) {
        var row = table.insertRow();
        var k = row.insertCell(); k.textContent = key; k.className = 'key';
        row.insertCell().textContent = String(value[key]);
      });
      tip.appendChild(table);
    } else {
      tip.textContent = String(value);
    }
    tip.style.display = 'block';
    var x = event.clientX + 14, y = event.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 8) x = event.clientX - w - 14;
    if (y + h > window.innerHeight - 8) y = event.clientY - h - 14;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  function fmtStep(step) { return 'step ' + step.toLocaleString('en-US'); }

  var current = ex.checkpoints.length - 1;
  var pending = Promise.resolve();
  function show(index) {
    current = index;
    var ck = ex.checkpoints[index];
    var label = fmtStep(ck.step) + (ck.name !== 'step ' + ck.step ? ' (' + ck.name + ')' : '') + (ck.phase ? ' · ' + ck.phase : '');
    document.getElementById('checkpoint-label').textContent = label;
    var jobs = [];
    var hv = views.heatmap;
    if (hv) {
      hv.data('heatmap_cells', heatmapRows(ex.matrices[index], ex.nodes));
      hv.signal('heatmapTitle', 'Influence matrix, ' + fmtStep(ck.step));
      jobs.push(hv.runAsync());
    }
    var gv = views.graph;
    if (gv) {
      gv.data('graph_edges', graphEdgeRows(ex.edges[index], ex.layout, ex.kindNames));
      gv.data('graph_nodes', graphNodeRows(ex.matrices[index], ex.layout, ex.kindNames));
      gv.signal('graphTitle', 'Component graph, ' + fmtStep(ck.step));
      gv.signal('graphSubtitle', ck.graphSubtitle);
      jobs.push(gv.runAsync());
    }
    pending = Promise.all(jobs).then(function () {
      if (current !== index) return;
      ['heatmap', 'graph'].forEach(function (name) {
        var el = document.getElementById('fig-' + name);
        if (el) el.setAttribute('data-step', String(ck.step));
      });
    });
    return pending;
  }

  var slider = document.getElementById('checkpoint-slider');
  slider.addEventListener('input', function () { show(Number(slider.value)); });

  var play = document.getElementById('checkpoint-play');
  var timer = null;
  function stop() { if (timer) { clearInterval(timer); timer = null; play.textContent = '▶'; } }
  play.addEventListener('click', function () {
    if (timer) { stop(); return; }
    if (Number(slider.value) >= ex.checkpoints.length - 1) slider.value = '0';
    play.textContent = '❚❚';
    show(Number(slider.value));
    timer = setInterval(function () {
      var next = Number(slider.value) + 1;
      if (next >= ex.checkpoints.length) { stop(); return; }
      slider.value = String(next);
      show(next);
    }, 900);
  });

  api.ready = Promise.all(Object.keys(specs).map(function (name) {
    return render(name).catch(function (err) {
      var el = document.getElementById('fig-' + name);
      if (el) el.textContent = 'This figure could not be drawn: ' + err;
      console.error('cntlens figure ' + name + ': ' + (err && err.stack || err));
    });
  })).then(function () {
    return show(current);
  }).then(function () {
    document.body.setAttribute('data-ready', 'true');
  });
})();
`;

const CSS = `
:root { --ink: #2b2b2b; --muted: #6b6b6b; --line: #e3e3e3; --accent: #2f4b7c; --bg: #fafafa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; }
header { background: white; border-bottom: 1px solid var(--line); padding: 22px max(24px, calc((100vw - 1240px) / 2 + 24px)) 0; position: sticky; top: 0; z-index: 2; }
header h1 { margin: 0; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; }
header .subtitle { margin: 4px 0 0; color: var(--muted); }
nav { display: flex; flex-wrap: wrap; gap: 2px 18px; margin-top: 12px; }
nav a { color: var(--muted); text-decoration: none; padding: 6px 0 9px; border-bottom: 2px solid transparent; font-size: 14px; }
nav a:hover { color: var(--accent); border-bottom-color: var(--accent); }
main { max-width: 1240px; margin: 0 auto; padding: 8px 24px 40px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px 20px; margin: 20px 0; scroll-margin-top: 110px; }
h2 { margin: 0 0 6px; font-size: 19px; font-weight: 650; }
h3 { margin: 18px 0 6px; font-size: 15px; font-weight: 600; }
p.explain { margin: 0 0 12px; color: #4a4a4a; max-width: 900px; font-size: 14px; }
figure { margin: 0; overflow-x: auto; }
.vega { min-height: 60px; }
.vega svg { display: block; max-width: none; }
p.files { margin: 6px 0 0; font-size: 12px; color: var(--muted); }
p.files a { color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ul.notes { margin: 12px 0 0; padding-left: 20px; }
table { border-collapse: collapse; font-size: 14px; }
table.phases { width: 100%; table-layout: fixed; }
table.phases th, table.phases td { padding: 5px 12px 5px 0; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.phases th { font-weight: 600; color: var(--muted); font-size: 13px; }
table.phases col.col-num { width: 2.5em; }
table.phases col.col-phase { width: 10.5em; }
table.phases col.col-steps { width: 8em; }
table.phases col.col-count { width: 7.5em; }
table.phases col.col-conf { width: 7.5em; }
table.phases td.details { font-size: 13px; color: #4a4a4a; }
table.phases td.details p { margin: 0 0 3px; }
table.phases td.details details summary { margin: 0; font-size: 12px; }
table.phases tr.boundary td { font-size: 13px; color: #4a4a4a; background: #f6f7f9; border-bottom-style: dashed; }
table.phases .boundary-step { font-weight: 600; color: var(--ink); }
table.phases tr.boundary details { margin-top: 2px; }
table.phases tr.boundary details summary { font-size: 12px; margin: 0; }
ul.stats { list-style: none; margin: 4px 0 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(13em, 1fr)); gap: 1px 16px; font-size: 12px; }
ul.stats .key { color: var(--muted); }
ul.change-metrics { margin: 2px 0 0; padding-left: 18px; font-size: 12px; }
td.num { font-variant-numeric: tabular-nums; }
table.findings { width: 100%; table-layout: fixed; margin-top: 4px; }
table.findings th, table.findings td { padding: 7px 14px 7px 0; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.findings th { font-weight: 600; color: var(--muted); font-size: 13px; }
table.findings col.col-claim { width: 25%; }
table.findings col.col-verdict { width: 15em; }
table.findings col.col-estimate { width: 12.5em; }
table.findings .claim-text { display: block; font-weight: 600; }
table.findings .statistic { display: block; font-size: 12px; color: var(--muted); margin-top: 2px; }
table.findings td.estimate { font-variant-numeric: tabular-nums; font-size: 13px; }
table.findings td.estimate span { display: block; }
table.findings td.estimate .value { font-size: 15px; font-weight: 600; }
table.findings td.estimate .ci.none, table.findings td.estimate .p { color: var(--muted); font-size: 12px; }
table.findings td.sentence { font-size: 13px; color: #4a4a4a; }
.verdict { display: inline-block; border: 1.5px solid; border-radius: 4px; padding: 1px 8px; font-size: 13px; font-weight: 600; white-space: nowrap; }
.verdict.supported { background: #1a7f37; border-color: #1a7f37; color: white; }
.verdict.structure { background: #f2c46d; border-color: #b7791f; color: #3d2a00; }
.verdict.not-supported { background: #fde8e6; border-color: #b3261e; color: #8c1d18; }
.verdict.undetermined { background: white; border-color: #8a8a8a; border-style: dashed; color: #555; }
p.findings-method { margin: 0 0 4px; }
.findings-details { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0 30px; }
.findings-details p.method { font-size: 12px; margin-bottom: 4px; }
table.findings-small th, table.findings-small td { padding: 3px 14px 3px 0; border-bottom: 1px solid var(--line); text-align: left; }
table.findings-small th { font-weight: 600; color: var(--muted); font-size: 12px; }
table.findings-small .num { text-align: right; }
table.findings-small td.steps { white-space: nowrap; }
table.findings-small tr.all td { font-weight: 600; }
ol.groups { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
ol.groups .group-name { display: inline-block; min-width: 7.5em; color: var(--muted); font-size: 13px; }
ul.members { list-style: none; display: inline-flex; flex-wrap: wrap; gap: 4px 6px; margin: 0; padding: 0; vertical-align: top; max-width: calc(100% - 8em); }
p.method { margin: 0 0 6px; color: var(--muted); font-size: 13px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 7px; vertical-align: -1px; opacity: 0.8; }
.roles { display: grid; grid-template-columns: 1fr 1fr; gap: 0 30px; }
ol.chips { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; counter-reset: rank; }
ol.chips li { counter-increment: rank; }
ol.chips li::before { content: counter(rank) '.'; color: var(--muted); font-size: 12px; margin-right: 3px; }
.chip { display: inline-block; border: 1.5px solid; border-radius: 12px; padding: 0 9px; font-size: 13px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }
.slider { display: flex; align-items: center; gap: 12px; margin: 6px 0 14px; padding: 10px 14px; background: #f3f5f8; border-radius: 6px; position: sticky; top: 96px; z-index: 1; }
.slider input[type=range] { flex: 1; min-width: 200px; accent-color: var(--accent); }
.slider output { min-width: 230px; font-variant-numeric: tabular-nums; font-weight: 600; }
.slider button { border: 1px solid #c9ced6; background: white; border-radius: 4px; width: 34px; height: 28px; cursor: pointer; color: var(--accent); }
.explorer-grid { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.explorer-grid figure { flex: 0 1 auto; display: table; }
.explorer-grid figcaption { display: table-caption; caption-side: bottom; font-size: 13px; color: #4a4a4a; padding: 8px 0 0 8px; }
table.settings th { text-align: left; font-weight: 500; color: var(--muted); padding: 3px 18px 3px 0; vertical-align: top; white-space: nowrap; }
table.settings td { padding: 3px 0; }
table.settings code { font-size: 13px; word-break: break-all; }
details summary { cursor: pointer; color: var(--muted); margin-bottom: 6px; }
.tooltip { position: fixed; display: none; z-index: 10; pointer-events: none; background: rgba(255, 255, 255, 0.97); border: 1px solid #c9ced6; border-radius: 4px; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.12); padding: 6px 9px; font-size: 12px; max-width: 360px; }
.tooltip table { border-collapse: collapse; font-size: 12px; }
.tooltip td { padding: 1px 0; vertical-align: top; }
.tooltip td.key { color: var(--muted); padding-right: 10px; white-space: nowrap; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 0 24px 30px; }
@media print { header { position: static; } .slider { position: static; } section { break-inside: avoid; } }
`;
