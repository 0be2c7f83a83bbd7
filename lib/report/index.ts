/**
 * Report and figures: `writeReport(data, outDir, options)` writes a self-contained `report.html`
 * and SVG / PNG figures from a `ReportData` (see types.ts for the input contract).
 */
export type {
  MetricValue, ReportChangeMetric, ReportCheckpoint, ReportData, ReportFindings, ReportMergedBoundary, ReportOptions, ReportOutput, ReportPhase,
  ReportPhaseChange, ReportPhases, ReportRoles,
} from './types.js';
export { BEHAVIOUR_METRICS } from './types.js';
export { writeReport, compileFigures, STATIC_FIGURES } from './write.js';
export { validateReportData } from './validate.js';
export {
  allSpecs, behaviourSpec, buildModel, communitiesSpec, formatStep, graphSpec, heatmapSpec, metricsSpec, rolesSpec,
  type FigureName, type ReportModel, type VlSpec,
} from './specs.js';
export { CollectingLogger, renderSvg, svgToPng, textInkFraction, toVega } from './render.js';
export { figureBundle, SVG_MIME, VEGA_LITE_MIME, type MimeBundle } from './notebook.js';
export {
  alignCommunities, alluvialLayout, communityFlows, layoutNodes, parseNodeId, phaseAbbreviations, placePhaseLabels, rankNodes,
  rankings, stepPixel, strongestEdges,
  type CommunityFlow, type LabelledCommunity, type NodeKind, type NodeLayout, type ParsedNode, type PhaseLabelPlacement,
} from './derive.js';
export { textWidth } from './theme.js';
