/**
 * Vega-Lite → Vega compilation and headless rendering: SVG through Vega's own scenegraph
 * (`view.toSVG()`, no browser needed) and PNG through resvg, which needs system fonts for text
 * (Debian: fonts-liberation or fonts-dejavu-core).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import type { VlSpec } from './specs.js';

/** Collects every warning and error of the compiler and of Vega, so callers and tests can see them. */
export class CollectingLogger {
  readonly messages: string[] = [];
  private current = vega.Warn;
  level(): number;
  level(level: number): this;
  level(level?: number): number | this {
    if (level === undefined) return this.current;
    this.current = level;
    return this;
  }
  error(...args: readonly unknown[]): this {
    this.messages.push(`error: ${args.map(String).join(' ')}`);
    return this;
  }
  warn(...args: readonly unknown[]): this {
    this.messages.push(`warn: ${args.map(String).join(' ')}`);
    return this;
  }
  info(): this { return this; }
  debug(): this { return this; }
}

/** Compiles a Vega-Lite spec to a Vega spec; compiler warnings go to `logger`. */
export function toVega(spec: VlSpec, logger: CollectingLogger): vega.Spec {
  return compile(spec as unknown as TopLevelSpec, { logger }).spec;
}

/** Renders a Vega spec to an SVG string (no DOM; text widths are Vega's own estimates). */
export async function renderSvg(spec: vega.Spec, logger: CollectingLogger): Promise<string> {
  // Vega numbers gradients and clip paths from process-wide counters (gradient_0, …); each figure
  // is its own SVG document, so restart them: the same figure then gives the same file, whatever
  // was rendered before it in this process.
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG at `scale` × its size on white, with system fonts. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'Liberation Sans', sansSerifFamily: 'Liberation Sans' },
  });
  return resvg.render().asPng();
}

/**
 * Fraction of non-white pixels when a line of text alone is rasterised: 0 means resvg found no
 * usable font, and every PNG figure would be missing its labels.
 */
export function textInkFraction(): number {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="4" y="28" font-size="24" font-family="\'Liberation Sans\', \'DejaVu Sans\', sans-serif">Step 1000</text></svg>';
  const rendered = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'Liberation Sans', sansSerifFamily: 'Liberation Sans' } }).render();
  const pixels = rendered.pixels;
  let ink = 0;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128) ink++;
  return ink / (pixels.length / 4);
}
