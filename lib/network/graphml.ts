/**
 * GraphML writer (http://graphml.graphdrawing.org/specification.html) for component graphs.
 * graphology-graphml 0.5.2 ships only a parser (its README promises a writer that the package does
 * not contain), so this writes the small subset we need: a directed graph, node data layer/head
 * (int, omitted when null) and kind (string), edge data weight (double, full precision: JavaScript
 * number→string round-trips exactly). Read back with graphology-graphml's `parse`.
 */
import type { ComponentGraph } from './types.js';

export function writeGraphml(graph: ComponentGraph): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
      'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    '  <key id="layer" for="node" attr.name="layer" attr.type="int"/>',
    '  <key id="head" for="node" attr.name="head" attr.type="int"/>',
    '  <key id="kind" for="node" attr.name="kind" attr.type="string"/>',
    '  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>',
    '  <graph id="G" edgedefault="directed">',
  ];
  graph.forEachNode((node, attributes) => {
    const data = [
      attributes.layer === null ? '' : `<data key="layer">${attributes.layer}</data>`,
      attributes.head === null ? '' : `<data key="head">${attributes.head}</data>`,
      `<data key="kind">${escapeXml(attributes.kind)}</data>`,
    ].join('');
    lines.push(`    <node id="${escapeXml(node)}">${data}</node>`);
  });
  let e = 0;
  graph.forEachEdge((_edge, attributes, source, target) => {
    lines.push(`    <edge id="e${e++}" source="${escapeXml(source)}" target="${escapeXml(target)}">` +
      `<data key="weight">${String(attributes.weight)}</data></edge>`);
  });
  lines.push('  </graph>', '</graphml>', '');
  return lines.join('\n');
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
