/**
 * writeReport: validates the data, builds the Vega-Lite specs, writes `report.html` and the static
 * figures (`figures/<name>.svg` and `.png`) into the output folder.
 */
import path from 'node:path';
import type * as vega from 'vega';
import { OptionError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import { renderHtml } from './html.js';
import { CollectingLogger, renderSvg, svgToPng, toVega } from './render.js';
import { allSpecs, buildModel, type FigureName } from './specs.js';
import type { ReportData, ReportOptions, ReportOutput } from './types.js';
import { validateReportData } from './validate.js';

/** Figures written as static files, in this order. */
export const STATIC_FIGURES: FigureName[] = ['behaviour', 'metrics', 'roles', 'heatmap', 'graph', 'communities'];

function checkOptions(options: ReportOptions): void {
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new OptionError(name, `must be a positive integer, got ${v}`);
  };
  positiveInt('topK', options.topK);
  positiveInt('graphEdges', options.graphEdges);
  if (options.pngScale !== undefined && !(options.pngScale > 0 && options.pngScale <= 8)) {
    throw new OptionError('pngScale', `must be in (0, 8], got ${options.pngScale}`);
  }
  if (options.stepScale !== undefined && !['auto', 'linear', 'log'].includes(options.stepScale)) {
    throw new OptionError('stepScale', `must be auto, linear or log, got ${options.stepScale}`);
  }
  if (options.figureDir !== undefined && (path.isAbsolute(options.figureDir) || options.figureDir.split(/[\\/]/).includes('..'))) {
    throw new OptionError('figureDir', `must be a folder inside the output folder, got ${options.figureDir}`);
  }
}

/** Compiles every figure's Vega-Lite spec to Vega (compiler warnings go to `logger`). */
export function compileFigures(data: ReportData, options: ReportOptions, logger: CollectingLogger): {
  model: ReturnType<typeof buildModel>;
  specs: Partial<Record<FigureName, vega.Spec>>;
} {
  const model = buildModel(data, options);
  const specs: Partial<Record<FigureName, vega.Spec>> = {};
  for (const [name, spec] of Object.entries(allSpecs(model)) as [FigureName, Record<string, unknown>][]) {
    specs[name] = toVega(spec, logger);
  }
  return { model, specs };
}

/**
 * Writes `report.html` (self-contained: opens from disk, no network) and, unless `figures` is
 * false, an SVG and a PNG of every figure into `<outDir>/<figureDir>/` (heatmap and component graph
 * at the final checkpoint). Throws InputError on malformed data and OptionError on bad options,
 * before writing anything.
 */
export async function writeReport(data: ReportData, outDir: string, options: ReportOptions = {}): Promise<ReportOutput> {
  checkOptions(options);
  const clean = validateReportData(data, options.source);
  const logger = new CollectingLogger();
  const { model, specs } = compileFigures(clean, options, logger);
  const writeFigures = options.figures ?? true;
  const figureDir = options.figureDir ?? 'figures';
  const figures: ReportOutput['figures'] = [];
  if (writeFigures) {
    // Render everything first, then write, so a rendering failure leaves no partial output.
    const rendered: { name: FigureName; svg: string; png: Uint8Array }[] = [];
    for (const name of STATIC_FIGURES) {
      const spec = specs[name];
      if (!spec) continue;
      const svg = await renderSvg(spec, logger);
      rendered.push({ name, svg, png: svgToPng(svg, options.pngScale ?? 2) });
    }
    for (const { name, svg, png } of rendered) {
      const svgFile = path.join(outDir, figureDir, `${name}.svg`);
      const pngFile = path.join(outDir, figureDir, `${name}.png`);
      await writeFileAtomic(svgFile, svg);
      await writeFileAtomic(pngFile, png);
      figures.push({ name, svg: svgFile, png: pngFile });
    }
  }
  const html = renderHtml({ model, specs, figureDir: writeFigures ? figureDir.split(path.sep).join('/') : null });
  const htmlFile = path.join(outDir, 'report.html');
  await writeFileAtomic(htmlFile, html);
  return { html: htmlFile, figures, warnings: logger.messages };
}
