/**
 * Row-wise log-sum-exp of large float32 matrices (logits over a 50k vocabulary), the hot loop of
 * the next-token loss.
 *
 * Why not tf.logSumExp: on the wasm backend it takes four passes over the logits and its exp is
 * scalar (about 9 ns per entry here, as long as the unembedding matMul itself). This file builds,
 * at load time, a tiny WebAssembly SIMD module (hand-assembled below, ~100 instructions) that
 * does, per row, one max pass and one fused exp-and-sum pass with 4 float32 lanes and float64
 * accumulation: about 1 ns per entry. exp is Cephes' expf (Moshier 1989, "Methods and programs
 * for mathematical functions"): x = n·ln2 + r with a two-part ln2 (Cody & Waite 1980),
 * e^r by a degree-7 polynomial, 2^n by building the float's exponent bits; relative error about
 * 1e-7. Inputs x − max below −87 are clamped to −87 (e^−87 ≈ 1.6e-38, negligible against the
 * row's largest term, which is 1).
 *
 * Where WebAssembly SIMD is unavailable a plain JavaScript loop (Math.exp) gives the same result.
 */

// ---- a minimal WebAssembly assembler ---------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function f32Bytes(x: number): number[] {
  return [...new Uint8Array(new Float32Array([x]).buffer)];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Core opcodes.
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: (d: number) => [0x0c, d], brIf: (d: number) => [0x0d, d],
  get: (i: number) => [0x20, i], set: (i: number) => [0x21, i],
  i32: (v: number) => [0x41, ...sleb(v)], f32: (v: number) => [0x43, ...f32Bytes(v)],
  i32GeU: [0x4f], i32Add: [0x6a], i32Mul: [0x6c], i32And: [0x71], i32Shl: [0x74],
  f32Max: [0x97], f64Add: [0xa0], f64PromoteF32: [0xbb],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
};
// SIMD opcodes (0xFD prefix, LEB128 sub-opcode), from the WebAssembly SIMD spec.
const simd = (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm];
const v = {
  load: simd(0x00, 2, 0), // align 2^2, offset 0
  const4f: (x: number) => simd(0x0c, ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x)),
  const4i: (x: number) => { const b = [...new Uint8Array(new Int32Array([x, x, x, x]).buffer)]; return simd(0x0c, ...b); },
  swapHalves: simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), // i8x16.shuffle
  f32Splat: simd(0x13), f32Extract: (lane: number) => simd(0x1f, lane), f64Extract: (lane: number) => simd(0x21, lane),
  f64PromoteLow: simd(0x5f), f32Nearest: simd(0x6a),
  i32Shl: simd(0xab), i32Add: simd(0xae),
  f32Add: simd(0xe4), f32Sub: simd(0xe5), f32Mul: simd(0xe6), f32Max: simd(0xe9),
  f64Add: simd(0xf0), i32TruncSatF32: simd(0xf8),
};

/**
 * `rowmaxsumexp(ptr, rows, cols4, stride, out)`: for each row r of float32 data at ptr (row
 * stride `stride` floats; the first `cols4` floats, a multiple of 4, are used) writes
 * out[2r] = max and out[2r+1] = Σ exp(x − max), both as float64.
 */
export function buildModule(): Uint8Array<ArrayBuffer> {
  // params: 0 ptr, 1 rows, 2 cols4, 3 stride, 4 out; locals: 5 r, 6 i, 7 base, 8 n4bytes (i32),
  // 9 m (f32), 10 vmax, 11 accLo, 12 accHi, 13 x, 14 n, 15 y, 16 vm (v128)
  const [PTR, ROWS, COLS4, STRIDE, OUT, R, I, BASE, NBYTES, M, VMAX, ACC_LO, ACC_HI, X, N, Y, VM] = Array.from({ length: 17 }, (_, k) => k);
  const C1 = 0.693359375;
  const C2 = -2.12194440e-4;
  const P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  const poly: number[] = [...v.const4f(P[0])];
  for (const c of P.slice(1)) poly.push(...op.get(X), ...v.f32Mul, ...v.const4f(c), ...v.f32Add);
  const body = [
    ...op.get(COLS4), ...op.i32(2), ...op.i32Shl, ...op.set(NBYTES),
    ...op.block, ...op.loop, // rows
    ...op.get(R), ...op.get(ROWS), ...op.i32GeU, ...op.brIf(1),
    ...op.get(PTR), ...op.get(R), ...op.get(STRIDE), ...op.i32Mul, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(BASE),
    // max pass
    ...op.f32(-Infinity), ...v.f32Splat, ...op.set(VMAX),
    ...op.i32(0), ...op.set(I),
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(NBYTES), ...op.i32GeU, ...op.brIf(1),
    ...op.get(VMAX), ...op.get(BASE), ...op.get(I), ...op.i32Add, ...v.load, ...v.f32Max, ...op.set(VMAX),
    ...op.get(I), ...op.i32(16), ...op.i32Add, ...op.set(I),
    ...op.br(0), ...op.end, ...op.end,
    ...op.get(VMAX), ...v.f32Extract(0), ...op.get(VMAX), ...v.f32Extract(1), ...op.f32Max,
    ...op.get(VMAX), ...v.f32Extract(2), ...op.f32Max, ...op.get(VMAX), ...v.f32Extract(3), ...op.f32Max, ...op.set(M),
    ...op.get(M), ...v.f32Splat, ...op.set(VM),
    ...v.const4f(0), ...op.set(ACC_LO), ...v.const4f(0), ...op.set(ACC_HI),
    // exp-and-sum pass
    ...op.i32(0), ...op.set(I),
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(NBYTES), ...op.i32GeU, ...op.brIf(1),
    // x = max(load − m, −87)
    ...op.get(BASE), ...op.get(I), ...op.i32Add, ...v.load, ...op.get(VM), ...v.f32Sub, ...v.const4f(-87), ...v.f32Max, ...op.set(X),
    // n = nearest(x · log2 e)
    ...op.get(X), ...v.const4f(Math.LOG2E), ...v.f32Mul, ...v.f32Nearest, ...op.set(N),
    // r = x − n·C1 − n·C2
    ...op.get(X), ...op.get(N), ...v.const4f(C1), ...v.f32Mul, ...v.f32Sub, ...op.get(N), ...v.const4f(C2), ...v.f32Mul, ...v.f32Sub, ...op.set(X),
    // y = poly(r)·r² + r + 1
    ...poly, ...op.get(X), ...op.get(X), ...v.f32Mul, ...v.f32Mul, ...op.get(X), ...v.f32Add, ...v.const4f(1), ...v.f32Add,
    // · 2^n (exponent bits n + 127)
    ...op.get(N), ...v.i32TruncSatF32, ...v.const4i(127), ...v.i32Add, ...op.i32(23), ...v.i32Shl, ...v.f32Mul, ...op.set(Y),
    // float64 accumulation, two independent chains
    ...op.get(ACC_LO), ...op.get(Y), ...v.f64PromoteLow, ...v.f64Add, ...op.set(ACC_LO),
    ...op.get(ACC_HI), ...op.get(Y), ...op.get(Y), ...v.swapHalves, ...v.f64PromoteLow, ...v.f64Add, ...op.set(ACC_HI),
    ...op.get(I), ...op.i32(16), ...op.i32Add, ...op.set(I),
    ...op.br(0), ...op.end, ...op.end,
    // out[2r] = m, out[2r+1] = Σ
    ...op.get(OUT), ...op.get(R), ...op.i32(4), ...op.i32Shl, ...op.i32Add, ...op.get(M), ...op.f64PromoteF32, ...op.f64Store(0),
    ...op.get(ACC_LO), ...op.get(ACC_HI), ...v.f64Add, ...op.set(Y),
    ...op.get(OUT), ...op.get(R), ...op.i32(4), ...op.i32Shl, ...op.i32Add,
    ...op.get(Y), ...v.f64Extract(0), ...op.get(Y), ...v.f64Extract(1), ...op.f64Add, ...op.f64Store(8),
    ...op.get(R), ...op.i32(1), ...op.i32Add, ...op.set(R),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  const locals = [3, ...uleb(4), I32, 1, F32, ...uleb(7), V128];
  const func = [...locals, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type: (i32 × 5) → ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page, no max
    ...section(7, [2, 6, ...[...'memory'].map((c) => c.charCodeAt(0)), 0x02, 0, 12, ...[...'rowmaxsumexp'].map((c) => c.charCodeAt(0)), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return new Uint8Array(bytes);
}

interface Kernel {
  memory: WebAssembly.Memory;
  run: (ptr: number, rows: number, cols4: number, stride: number, out: number) => void;
}

let kernel: Kernel | null | undefined;

function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = buildModule();
    if (!WebAssembly.validate(bytes)) throw new Error('invalid module');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const exports = instance.exports as { memory: WebAssembly.Memory; rowmaxsumexp: Kernel['run'] };
    kernel = { memory: exports.memory, run: exports.rowmaxsumexp };
  } catch {
    kernel = null;
  }
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
  const cols4 = cols & ~3;
  if (!k || cols4 === 0) {
    for (let r = 0; r < rows; r++) out[r] = jsLogSumExp(data, r * cols, cols);
    return out;
  }
  const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / (cols * 4)));
  const dataBytes = blockRows * cols * 4;
  const need = dataBytes + blockRows * 16;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(k.memory.buffer);
  const res = new Float64Array(k.memory.buffer, dataBytes, blockRows * 2);
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const n = Math.min(blockRows, rows - r0);
    heap.set(data.subarray(r0 * cols, (r0 + n) * cols), 0);
    k.run(0, n, cols4, cols, dataBytes);
    for (let i = 0; i < n; i++) {
      let max = res[2 * i];
      let sum = res[2 * i + 1];
      if (cols4 < cols) {
        // The last cols % 4 entries: fold them in, rescaling if one is the new maximum.
        const base = (r0 + i) * cols;
        let tailMax = -Infinity;
        for (let j = cols4; j < cols; j++) tailMax = Math.max(tailMax, data[base + j]);
        if (tailMax > max) {
          sum *= Math.exp(max - tailMax);
          max = tailMax;
        }
        for (let j = cols4; j < cols; j++) sum += Math.exp(data[base + j] - max);
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
