/**
 * One visual language for every figure: fonts, colours for component kinds and phases, and
 * readable names for metrics. Colours are from Tableau 10 (the Vega default) so head / MLP read
 * the same in every chart, and phase tints stay light enough to sit behind data.
 */
import type { NodeKind } from './derive.js';

/** Font stack: Helvetica-like first; Liberation Sans / DejaVu Sans on Debian (and for resvg). */
export const FONT = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

/**
 * Advance widths of DejaVu Sans (its oblique has the same advances), in 1/1000 em rounded up, for
 * the printable ASCII characters 32–126, as Chromium measures them. DejaVu Sans is the widest face
 * of FONT (Helvetica, Arial and Liberation Sans are narrower glyph for glyph) and the one a bare
 * Debian falls back to, so a width summed from it bounds the drawn text, in the browser and in the
 * static PNG alike. Vega's own estimate without a canvas (0.8 em per character) is far wider and
 * would abbreviate names that fit.
 */
const ASCII_ADVANCE = [
  318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337, 637, 637, 637, 637, 637, 637, 637, 637,
  637, 637, 337, 337, 838, 838, 838, 531, 1000, 685, 687, 699, 771, 632, 576, 775, 752, 295, 295, 656, 558, 863, 749, 788,
  604, 788, 695, 635, 611, 732, 685, 989, 686, 611, 686, 391, 337, 391, 838, 500, 500, 613, 635, 550, 635, 616, 353, 635,
  634, 278, 278, 580, 278, 975, 634, 612, 635, 635, 412, 521, 393, 634, 592, 818, 592, 592, 525, 637, 337, 637, 838,
];

/**
 * Drawn text is a little wider than its summed advances: browsers put glyphs on a 1/64 px grid and
 * kern some pairs apart (Chromium draws "refinement" 0.2% wider than its advances), hence 3% more.
 */
const TEXT_WIDTH_SLACK = 1.03;

/** Estimated width in px of one line of regular or italic text; a character outside ASCII counts 1 em. */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    em += code >= 32 && code <= 126 ? ASCII_ADVANCE[code - 32] / 1000 : 1;
  }
  return em * fontSize * TEXT_WIDTH_SLACK;
}

/** Font size (px) of the phase names written above the behaviour panels. */
export const PHASE_LABEL_FONT_SIZE = 10;

export const INK = '#2b2b2b';
export const MUTED = '#6b6b6b';
export const GRID = '#e6e6e6';
export const SERIES = '#2f4b7c';

export const KIND_COLOURS: Record<NodeKind, string> = {
  head: '#4c78a8',
  attn: '#72b7b2',
  mlp: '#f58518',
  logits: '#54585a',
  embed: '#9d755d',
  other: '#b279a2',
};

export const KIND_NAMES: Record<NodeKind, string> = {
  head: 'attention head',
  attn: 'attention (all heads)',
  mlp: 'MLP',
  logits: 'logits',
  embed: 'embedding',
  other: 'other',
};

export const KIND_SHAPES: Record<NodeKind, string> = {
  head: 'circle',
  attn: 'triangle-up',
  mlp: 'square',
  logits: 'diamond',
  embed: 'diamond',
  other: 'cross',
};

/** Known phase labels get fixed colours; others take the next colour of a spare palette. */
const PHASE_COLOURS: Record<string, string> = {
  exploration: '#e8a33d',
  consolidation: '#4e8fd0',
  refinement: '#59a14f',
  'warm-up': '#c9c9c9',
};
const SPARE_PHASE_COLOURS = ['#b07aa1', '#e15759', '#76b7b2', '#9c755f', '#edc948', '#bab0ac'];

/** Phase label → colour for the labels present, in first-seen order. */
export function phaseColours(labels: string[]): { domain: string[]; range: string[] } {
  const domain: string[] = [];
  for (const l of labels) if (!domain.includes(l)) domain.push(l);
  let spare = 0;
  const range = domain.map((l) => PHASE_COLOURS[l] ?? SPARE_PHASE_COLOURS[spare++ % SPARE_PHASE_COLOURS.length]);
  return { domain, range };
}

/** Community colours: 20 distinct hues, cycled by label order. */
export const COMMUNITY_SCHEME = 'tableau20';

const METRIC_NAMES: Record<string, string> = {
  loss_repeated: 'Loss on the repeated half',
  icl_score: 'In-context learning score',
  induction_score_max: 'Induction score (best head)',
  density: 'Density',
  total_weight: 'Total weight',
  strength_assortativity: 'Strength assortativity',
  average_clustering: 'Average clustering',
  modularity: 'Modularity',
  gini: 'Gini of edge weights',
  entropy: 'Weight entropy',
  skewness: 'Skewness of edge weights',
  top10_share: 'Top-10% weight share',
  tail_alpha: 'Tail exponent α',
  tail_xmin: 'Tail x_min',
  tail_ks: 'Tail fit KS distance',
  communities: 'Number of communities',
  reciprocity: 'Reciprocity',
  global_efficiency: 'Global efficiency',
  out_strength: 'Out-strength',
  in_strength: 'In-strength',
};

/** Readable name of a metric: a fixed table for cntlens metrics, else `snake_case` → `Snake case`. */
export function metricTitle(name: string): string {
  if (METRIC_NAMES[name]) return METRIC_NAMES[name];
  const words = name.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Vega-Lite `config` shared by every figure. */
export function baseConfig(): Record<string, unknown> {
  return {
    font: FONT,
    background: 'white',
    padding: 8,
    view: { stroke: null },
    title: { fontSize: 15, fontWeight: 600, color: INK, anchor: 'start', subtitleFontSize: 12, subtitleColor: MUTED, offset: 10 },
    axis: {
      labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, labelColor: INK, titleColor: INK,
      gridColor: GRID, domainColor: '#9a9a9a', tickColor: '#9a9a9a',
    },
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, labelColor: INK, titleColor: INK },
    header: { labelFontSize: 12, labelFontWeight: 600, labelColor: INK, titleFontSize: 12 },
    line: { strokeWidth: 2 },
    point: { size: 36 },
  };
}
