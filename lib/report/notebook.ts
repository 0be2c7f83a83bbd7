/**
 * Figures inline in a notebook (Deno's Jupyter kernel, or any kernel that shows MIME bundles): a
 * Vega-Lite spec becomes a bundle with the spec itself, which front ends with a Vega-Lite renderer
 * (JupyterLab, VS Code) draw interactively, and an SVG rendered here through Vega's own renderer
 * (no browser), which every other viewer, and a notebook saved without JavaScript, still shows.
 */
import { CollectingLogger, renderSvg, toVega } from './render.js';
import type { VlSpec } from './specs.js';

/** The MIME type Jupyter front ends render Vega-Lite under. */
export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';
export const SVG_MIME = 'image/svg+xml';

/** A Jupyter MIME bundle: MIME type → data. */
export type MimeBundle = Record<string, unknown>;

/** What Deno's kernel looks for on a cell's last value (and on `Deno.jupyter.display`'s argument). */
const JUPYTER_DISPLAY = Symbol.for('Jupyter.display');

/**
 * The figure as a MIME bundle. It displays itself as a cell's last value in Deno's kernel (the
 * `Jupyter.display` symbol); elsewhere pass it to the kernel's display call as a raw bundle.
 * Compiler and renderer warnings go to `logger` (default: dropped).
 */
export async function figureBundle(spec: VlSpec, logger = new CollectingLogger()): Promise<MimeBundle> {
  const svg = await renderSvg(toVega(spec, logger), logger);
  const bundle: MimeBundle = { [VEGA_LITE_MIME]: spec, [SVG_MIME]: svg };
  Object.defineProperty(bundle, JUPYTER_DISPLAY, { value: () => bundle, enumerable: false });
  return bundle;
}
