/**
 * Test helpers for the GPT-NeoX goldens in test/fixtures/neox-tiny*: the expected arrays (read
 * from expected.safetensors, all F32) and the inputs / ablation list from expected.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readSafetensors } from '../../lib/model/safetensors.js';
import type { HostTensor } from '../../lib/model/types.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface Golden {
  dir: string;
  inputIds: number[][];
  logitsPositions: number[];
  ablations: { name: string; logitsPositions: number[] }[];
  arrays: Map<string, HostTensor>;
}

const cache = new Map<string, Golden>();

/** The golden of a fixture set ('neox-tiny', 'neox-tiny-f16'). */
export function readGolden(set: string): Golden {
  const hit = cache.get(set);
  if (hit) return hit;
  const dir = path.join(FIXTURES, set);
  const meta = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
    inputs: { input_ids: number[][] };
    logits_positions: number[];
    ablations: { name: string; logits_positions: number[] }[];
  };
  const golden: Golden = {
    dir,
    inputIds: meta.inputs.input_ids,
    logitsPositions: meta.logits_positions,
    ablations: meta.ablations.map((a) => ({ name: a.name, logitsPositions: a.logits_positions })),
    arrays: readSafetensors(path.join(dir, 'expected.safetensors')).tensors,
  };
  cache.set(set, golden);
  return golden;
}

export function goldenArray(g: Golden, name: string): HostTensor {
  const t = g.arrays.get(name);
  if (!t) throw new Error(`golden ${g.dir} has no array "${name}"`);
  return t;
}

/** Assert |got - want| <= atol + rtol·|want| elementwise, with the same shape. */
export function expectClose(got: tf.Tensor | ArrayLike<number>, want: HostTensor | { shape: number[]; data: ArrayLike<number> }, what: string, atol = 1e-4, rtol = 1e-4): void {
  const data: ArrayLike<number> = got instanceof tf.Tensor ? got.dataSync() : got;
  if (got instanceof tf.Tensor) expect(got.shape, `${what}: shape`).to.deep.equal(want.shape);
  expect(data.length, `${what}: size`).to.equal(want.data.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < data.length; i++) {
    const err = Math.abs(data[i] - want.data[i]);
    if (!(err <= atol + rtol * Math.abs(want.data[i]))) {
      if (worst < 0 || err > worstErr) { worst = i; worstErr = err; }
    }
  }
  if (worst >= 0) expect.fail(`${what}: element ${worst} is ${data[worst]}, expected ${want.data[worst]} (|diff| ${worstErr.toExponential(3)})`);
}

/** Stack per-layer captures [b, ...] into [layers, b, ...] on the host. */
export function stackHost(tensors: tf.Tensor[]): { shape: number[]; data: Float32Array } {
  const parts = tensors.map((t) => t.dataSync() as Float32Array);
  const data = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { data.set(p, off); off += p.length; }
  return { shape: [tensors.length, ...tensors[0].shape], data };
}
