/**
 * Row builders that run in two places: in Node (for the static figures) and inlined in
 * report.html (the checkpoint slider rebuilds the heatmap and component-graph data with them).
 * They are written once, as plain browser-safe JavaScript, so the static figure and the slider
 * view of the same checkpoint cannot disagree. Node evaluates the same source text.
 */
import type { NodeKind, NodePosition } from './derive.js';

export const CLIENT_HELPERS_JS = String.raw`
function heatmapRows(matrix, nodes) {
  var rows = [];
  for (var i = 0; i < nodes.length; i++) {
    for (var j = 0; j < nodes.length; j++) rows.push({ source: nodes[i], target: nodes[j], w: matrix[i][j] });
  }
  return rows;
}
function graphNodeRows(matrix, layout, kindNames) {
  var n = layout.length, out = [], inn = [], i, j;
  for (i = 0; i < n; i++) { out.push(0); inn.push(0); }
  for (i = 0; i < n; i++) for (j = 0; j < n; j++) { out[i] += Math.abs(matrix[i][j]); inn[j] += Math.abs(matrix[i][j]); }
  return layout.map(function (p, k) {
    return { id: p.id, kind: kindNames[p.kind], column: p.column, row: p.row,
      out: out[k], inn: inn[k], strength: out[k] + inn[k] };
  });
}
// edges: [[sourceIndex, targetIndex, weight], ...]. Each edge is four control points of a
// B-spline (drawn with interpolate "basis"): it leaves the source and enters the target
// horizontally; an edge inside one column bulges to the right.
function graphEdgeRows(edges, layout, kindNames) {
  var rows = [];
  edges.forEach(function (e, k) {
    var a = layout[e[0]], b = layout[e[1]];
    var mid = a.column === b.column ? a.column + 0.35 : (a.column + b.column) / 2;
    var pts = [[a.column, a.row], [mid, a.row], [mid, b.row], [b.column, b.row]];
    pts.forEach(function (pt, m) {
      rows.push({ edge: k, source: a.id, target: b.id, w: e[2], aw: Math.abs(e[2]),
        sourceKind: kindNames[a.kind], x: pt[0], y: pt[1], order: m });
    });
  });
  return rows;
}
`;

export interface HeatmapRow { source: string; target: string; w: number }
export interface GraphNodeRow { id: string; kind: string; column: number; row: number; out: number; inn: number; strength: number }
export interface GraphEdgeRow {
  edge: number; source: string; target: string; w: number; aw: number; sourceKind: string; x: number; y: number; order: number;
}

interface ClientHelpers {
  heatmapRows(matrix: number[][], nodes: string[]): HeatmapRow[];
  graphNodeRows(matrix: number[][], layout: NodePosition[], kindNames: Record<NodeKind, string>): GraphNodeRow[];
  graphEdgeRows(edges: [number, number, number][], layout: NodePosition[], kindNames: Record<NodeKind, string>): GraphEdgeRow[];
}

/** The helpers above, evaluated in Node. */
export const clientHelpers: ClientHelpers = new Function(
  `${CLIENT_HELPERS_JS}\nreturn { heatmapRows: heatmapRows, graphNodeRows: graphNodeRows, graphEdgeRows: graphEdgeRows };`,
)() as ClientHelpers;
