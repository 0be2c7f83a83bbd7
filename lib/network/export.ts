/**
 * Graph exports: GEXF (Gephi; graphology-gexf's writer), GraphML (graphml.ts; read back by
 * graphology-graphml), JSON (the edge-list format that `cntlens metrics --graph` reads) and a CSV
 * edge list (`source,target,weight`). Node ids and full-precision weights survive every format.
 */
import { write as writeGexf } from 'graphology-gexf';
import path from 'node:path';
import { writeGraphml } from './graphml.js';
import { OptionError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import type { ComponentGraph } from './types.js';

export type ExportFormat = 'gexf' | 'graphml' | 'json' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['gexf', 'graphml', 'json', 'csv'];

export function exportGraph(graph: ComponentGraph, format: ExportFormat): string {
  switch (format) {
    case 'gexf':
      return writeGexf(graph, {
        formatNode: (node, attributes) => ({ label: node, attributes: withoutNulls({ ...attributes }) }),
        formatEdge: (_edge, attributes) => ({ weight: attributes.weight }),
      });
    case 'graphml':
      return writeGraphml(graph);
    case 'json':
      return JSON.stringify(edgeList(graph), null, 2) + '\n';
    case 'csv':
      return toCsv(graph);
    default:
      throw new OptionError('export format', `expected one of ${EXPORT_FORMATS.join(', ')}, got ${String(format)}`);
  }
}

/** The export format named by a file's extension (.gexf, .graphml, .json, .csv). */
export function exportFormatOf(file: string): ExportFormat {
  const extension = path.extname(file).slice(1).toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(extension)) return extension as ExportFormat;
  throw new OptionError('--export', `cannot tell the format of ${file}: use a .gexf, .graphml, .json or .csv file name`);
}

/** Writes the graph to `file` (atomically) in the format its extension names. */
export async function writeGraphExport(graph: ComponentGraph, file: string): Promise<void> {
  await writeFileAtomic(file, exportGraph(graph, exportFormatOf(file)));
}

export function edgeList(graph: ComponentGraph): { nodes: string[]; edges: { source: string; target: string; weight: number }[] } {
  return {
    nodes: graph.nodes(),
    edges: graph.mapEdges((_edge, attributes, source, target) => ({ source, target, weight: attributes.weight })),
  };
}

function toCsv(graph: ComponentGraph): string {
  const lines = ['source,target,weight'];
  graph.forEachEdge((_edge, attributes, source, target) => {
    lines.push(`${csvField(source)},${csvField(target)},${String(attributes.weight)}`);
  });
  return lines.join('\n') + '\n';
}

/** RFC 4180 quoting, only where needed. */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null));
}
