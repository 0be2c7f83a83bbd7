/** Shared test fixtures for the ablation tests: the neox-tiny model and the influence golden. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NeoXModel } from '../../lib/model/neox.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const TINY_DIR = path.join(FIXTURES, 'neox-tiny');
export const GOLDEN_FILE = path.join(FIXTURES, 'influence/influence-neox-tiny.json');
export const GOLDEN_PROMPTS_FILE = path.join(FIXTURES, 'influence/prompts-neox-tiny-induction.json');

export interface Golden {
  nodes: string[];
  matrix: number[][];
  delta_loss: Record<string, number>;
  clean_loss: number;
}

export function readGolden(): Golden {
  return JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Golden;
}

export function goldenPrompts(): number[][] {
  return (JSON.parse(readFileSync(GOLDEN_PROMPTS_FILE, 'utf8')) as { tokens: number[][] }).tokens;
}

/** neox-tiny, and the same weights read with the sequential residual. */
export async function tinyModels(): Promise<{ parallel: NeoXModel; sequential: NeoXModel }> {
  const parallel = await NeoXModel.load(TINY_DIR);
  const sequential = new NeoXModel({ ...parallel.config, useParallelResidual: false }, parallel.params);
  return { parallel, sequential };
}

/** Component names → (kind, layer, head), parsed here independently of lib. */
export function parseName(name: string): { kind: 'head' | 'mlp' | 'logits'; layer: number; head: number } {
  if (name === 'LOGITS') return { kind: 'logits', layer: Infinity, head: -1 };
  const m = /^L(\d+)(?:H(\d+)|MLP)$/.exec(name)!;
  return m[2] === undefined ? { kind: 'mlp', layer: Number(m[1]), head: -1 } : { kind: 'head', layer: Number(m[1]), head: Number(m[2]) };
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((x, j) => { max = Math.max(max, Math.abs(x - b[i][j])); }));
  return max;
}
