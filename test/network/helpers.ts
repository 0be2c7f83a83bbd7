/** Shared helpers of the lib/network tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GRAPH_FIXTURES = ['component-dag-7', 'component-dag-11', 'cyclic-7', 'cyclic-11'] as const;

export interface GraphFixture {
  name: string;
  nodes: string[];
  edges: { source: string; target: string; weight: number }[];
  metrics: Record<string, unknown> & {
    fixed_partition: string[][];
    fixed_partition_modularity: number;
    louvain_reference_modularity: number;
  };
  conventions: Record<string, string>;
}

export function graphFixturePath(name: string): string {
  return path.join(REPO_ROOT, 'test/fixtures/graphs', `${name}.json`);
}

export function loadGraphFixture(name: string): GraphFixture {
  return JSON.parse(readFileSync(graphFixturePath(name), 'utf8')) as GraphFixture;
}

export const INFLUENCE_FIXTURE = path.join(REPO_ROOT, 'test/fixtures/influence/influence-neox-tiny.json');

/** The acceptance tolerance: |actual − expected| <= 1e-5 + 1e-4 |expected|. */
export function expectClose(actual: number | null | undefined, expected: number, what: string): void {
  expect(actual, what).to.be.a('number');
  const tolerance = 1e-5 + 1e-4 * Math.abs(expected);
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs networkx ${expected}`).to.be.at.most(tolerance);
}

/** Every node's value within the acceptance tolerance; the same node set on both sides. */
export function expectNodeValuesClose(actual: Record<string, number> | null, expected: Record<string, number>, what: string): void {
  expect(actual, what).to.not.equal(null);
  expect(Object.keys(actual!).sort(), `${what}: node set`).to.deep.equal(Object.keys(expected).sort());
  for (const [node, value] of Object.entries(expected)) expectClose(actual![node], value, `${what}[${node}]`);
}
