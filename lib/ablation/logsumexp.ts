/**
 * Row-wise log-sum-exp of large float32 matrices (logits over a 50k vocabulary), the hot loop of
 * the next-token loss.
 *
 * Why not tf.logSumExp: on the wasm backend it takes four passes over the logits and its exp is
 * scalar (about 9 ns per entry here, as long as the unembedding matMul itself). This file builds,
 * at load time, a tiny WebAssembly SIMD module (wasm-asm.ts) that does, per row, one max pass
 * and one fused exp-and-sum pass with 4 float32 lanes and float64 accumulation: about 2 ns per
 * entry. Inputs x − max below −87 are clamped to −87 (e^−87 ≈ 1.6e-38, negligible against the
 * row's largest term, which is 1).
 *
 * Where WebAssembly SIMD is unavailable a plain JavaScript loop (Math.exp) gives the same result.
 */

import { Locals, accumulateF64, expConstants, expInto, instantiate, oneFunctionModule, op, v, EXP_CONSTANT_LOCALS } from './wasm-asm.js';

/**
 * `rowmaxsumexp(ptr, rows, cols8, stride, out)`: for each row r of float32 data at ptr (row
 * stride `stride` floats; the first `cols8` floats, a multiple of 8, are used) writes
 * out[2r] = max and out[2r+1] = Σ exp(x − max), both as float64. Two vectors (8 floats) per
 * iteration for instruction-level parallelism, four float64 accumulators.
 */
export function buildModule(): Uint8Array<ArrayBuffer> {
  const L = new Locals(
    ['ptr', 'rows', 'cols8', 'stride', 'out'],
    ['r', 'i', 'base', 'nbytes'],
    ['m'],
    ['vmax', 'vmax2', 'accA', 'accB', 'vm', 'x0', 'n0', 'y0', 'x1', 'n1', 'y1', ...EXP_CONSTANT_LOCALS],
  );
  const at = (offset: number): number[] => [...L.get('base'), ...L.get('i'), ...op.i32Add, ...v.load(offset)];
  const body = [
    ...expConstants(L),
    ...L.get('cols8'), ...op.i32(2), ...op.i32Shl, ...L.set('nbytes'),
    ...op.block, ...op.loop, // rows
    ...L.get('r'), ...L.get('rows'), ...op.i32GeU, ...op.brIf(1),
    ...L.get('ptr'), ...L.get('r'), ...L.get('stride'), ...op.i32Mul, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...L.set('base'),
    // max pass, two chains
    ...op.f32(-Infinity), ...v.f32Splat, ...L.set('vmax'), ...L.get('vmax'), ...L.set('vmax2'),
    ...op.i32(0), ...L.set('i'),
    ...op.block, ...op.loop,
    ...L.get('i'), ...L.get('nbytes'), ...op.i32GeU, ...op.brIf(1),
    ...L.get('vmax'), ...at(0), ...v.f32Pmax, ...L.set('vmax'),
    ...L.get('vmax2'), ...at(16), ...v.f32Pmax, ...L.set('vmax2'),
    ...L.get('i'), ...op.i32(32), ...op.i32Add, ...L.set('i'),
    ...op.br(0), ...op.end, ...op.end,
    ...L.get('vmax'), ...L.get('vmax2'), ...v.f32Pmax, ...L.set('vmax'),
    ...L.get('vmax'), ...v.f32Extract(0), ...L.get('vmax'), ...v.f32Extract(1), ...op.f32Max,
    ...L.get('vmax'), ...v.f32Extract(2), ...op.f32Max, ...L.get('vmax'), ...v.f32Extract(3), ...op.f32Max, ...L.set('m'),
    ...L.get('m'), ...v.f32Splat, ...L.set('vm'),
    ...v.const4f(0), ...L.set('accA'), ...v.const4f(0), ...L.set('accB'),
    // exp-and-sum pass
    ...op.i32(0), ...L.set('i'),
    ...op.block, ...op.loop,
    ...L.get('i'), ...L.get('nbytes'), ...op.i32GeU, ...op.brIf(1),
    ...at(0), ...L.get('vm'), ...v.f32Sub, ...expInto(L, 'x0', 'n0', 'y0'),
    ...at(16), ...L.get('vm'), ...v.f32Sub, ...expInto(L, 'x1', 'n1', 'y1'),
    ...accumulateF64(L, 'y0', 'accA'),
    ...accumulateF64(L, 'y1', 'accB'),
    ...L.get('i'), ...op.i32(32), ...op.i32Add, ...L.set('i'),
    ...op.br(0), ...op.end, ...op.end,
    // out[2r] = m, out[2r+1] = Σ
    ...L.get('out'), ...L.get('r'), ...op.i32(4), ...op.i32Shl, ...op.i32Add, ...L.get('m'), ...op.f64PromoteF32, ...op.f64Store(0),
    ...L.get('accA'), ...L.get('accB'), ...v.f64Add, ...L.set('y0'),
    ...L.get('out'), ...L.get('r'), ...op.i32(4), ...op.i32Shl, ...op.i32Add,
    ...L.get('y0'), ...v.f64Extract(0), ...L.get('y0'), ...v.f64Extract(1), ...op.f64Add, ...op.f64Store(8),
    ...L.get('r'), ...op.i32(1), ...op.i32Add, ...L.set('r'),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return oneFunctionModule('rowmaxsumexp', L, body);
}

interface Kernel {
  memory: WebAssembly.Memory;
  run: (ptr: number, rows: number, cols8: number, stride: number, out: number) => void;
}

let kernel: Kernel | null | undefined;

function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const built = instantiate<Kernel['run']>(buildModule(), 'rowmaxsumexp');
  kernel = built ? { memory: built.memory, run: built.fn } : null;
  return kernel;
}

/** Whether the WebAssembly SIMD kernel is in use (else the JavaScript fallback). */
export function simdKernelAvailable(): boolean {
  return getKernel() !== null;
}

/** Rows copied into the kernel's memory at a time (about 4 MB, so a block stays in cache). */
const BLOCK_BYTES = 4 << 20;

/**
 * log Σ_j exp(data[r·cols + j]) for each of `rows` rows of a row-major float32 matrix.
 * `force: 'js'` uses the JavaScript path (tests compare the two).
 */
export function rowLogSumExp(data: Float32Array, rows: number, cols: number, force?: 'js'): Float64Array {
  if (data.length < rows * cols) throw new RangeError(`rowLogSumExp: ${data.length} values for ${rows}×${cols}`);
  const out = new Float64Array(rows);
  const k = force === 'js' ? null : getKernel();
  const cols8 = cols & ~7;
  if (!k || cols8 === 0) {
    for (let r = 0; r < rows; r++) out[r] = jsLogSumExp(data, r * cols, cols);
    return out;
  }
  const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / (cols * 4)));
  const dataBytes = Math.ceil((blockRows * cols * 4) / 16) * 16; // results (float64) start aligned
  const need = dataBytes + blockRows * 16;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(k.memory.buffer);
  const res = new Float64Array(k.memory.buffer, dataBytes, blockRows * 2);
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const n = Math.min(blockRows, rows - r0);
    heap.set(data.subarray(r0 * cols, (r0 + n) * cols), 0);
    k.run(0, n, cols8, cols, dataBytes);
    for (let i = 0; i < n; i++) {
      let max = res[2 * i];
      let sum = res[2 * i + 1];
      if (cols8 < cols) {
        // The last cols % 8 entries: fold them in, rescaling if one is the new maximum.
        const base = (r0 + i) * cols;
        let tailMax = -Infinity;
        for (let j = cols8; j < cols; j++) tailMax = Math.max(tailMax, data[base + j]);
        if (tailMax > max) {
          sum *= Math.exp(max - tailMax);
          max = tailMax;
        }
        for (let j = cols8; j < cols; j++) sum += Math.exp(data[base + j] - max);
      }
      out[r0 + i] = Number.isFinite(max) ? max + Math.log(sum) : jsLogSumExp(data, (r0 + i) * cols, cols);
    }
  }
  return out;
}

/** The reference: max + log Σ exp(x − max) in float64 with Math.exp. */
export function jsLogSumExp(data: ArrayLike<number>, start: number, length: number): number {
  let max = -Infinity;
  for (let j = 0; j < length; j++) max = Math.max(max, data[start + j]);
  if (!Number.isFinite(max)) return max; // all −∞ → −∞; +∞ or NaN propagate
  let sum = 0;
  for (let j = 0; j < length; j++) sum += Math.exp(data[start + j] - max);
  return max + Math.log(sum);
}
