/**
 * Fused unembedding and log-sum-exp: lse_r = log Σ_v exp(x_r · W_U[:, v]) for many rows x_r
 * without ever writing the [rows, V] logits, in a hand-assembled WebAssembly SIMD kernel
 * (wasm-asm.ts).
 *
 * Why: this is the sweep's hot loop (one row per ablation × prompt × loss position, V = 50304
 * for Pythia). TF.js's wasm matMul runs about 20 GFLOP/s here and its logits then need a second
 * pass for the exp; a plain 4×8 register-tiled kernel reaches about twice that in V8, and doing
 * the exp on the tile while it is still in registers saves writing and re-reading 200 kB per row.
 *
 * Layout: W_U is packed once per checkpoint into panels of 8 columns, [V/8][d][8], so a panel is
 * one contiguous 32·d-byte block; the kernel computes a 4-row × 8-column tile over all d,
 * subtracts each row's shift, updates the row's running max, and adds exp(tile) to the row's
 * float64 sum. Rows are processed in groups that fit the L2 cache together with a block of
 * panels. The last V mod 8 columns are done in JavaScript.
 *
 * Shifts: the kernel sums exp(logit − s) for a given shift s per row (0 by default) and reports
 * the row's maximum m. The result s + log Σ is exact as long as m − s lies in [−60, 80] (no
 * overflow, no loss to the clamp at −87); rows outside that window (logits beyond ±60, rare)
 * are recomputed with s = m.
 */
import { Locals, accumulateF64, expConstants, expInto, instantiate, oneFunctionModule, op, v, EXP_CONSTANT_LOCALS } from './wasm-asm.js';

const ROWS_PER_TILE = 4;
const PANEL = 8;

/**
 * `unembedlse(x, tiles, w, panels, shifts, acc)` for a fixed d: for each tile
 * of 4 rows of x ([rows][d] float32) and each of `panels` panels at w, adds Σ exp(logit − shift)
 * of the tile to acc[row].sum (f64x2) and folds the shifted logits into acc[row].max (f32x4);
 * acc rows are 32 bytes: sum at +0, max at +16.
 */
function buildKernel(d: number): Uint8Array<ArrayBuffer> {
  const rowBytes = d * 4;
  const A = (i: number, j: number): string => `a${i}${j}`;
  const L = new Locals(
    ['x', 'tiles', 'w', 'panels', 'shifts', 'acc'],
    ['t', 'p', 'xt', 'xk', 'xend', 'wp', 'st', 'at'],
    [],
    [
      ...Array.from({ length: 8 }, (_, k) => A(k >> 1, k & 1)),
      'w0', 'w1', 'xi', 's', 'l0', 'l1', 'n0', 'n1', 'y0', 'y1', 'sum',
      ...EXP_CONSTANT_LOCALS,
    ],
  );
  // One k step: two panel vectors, four broadcast x values, eight multiply-adds.
  const kStep = (u: number): number[] => [
    ...L.get('wp'), ...v.load(u * 32), ...L.set('w0'),
    ...L.get('wp'), ...v.load(u * 32 + 16), ...L.set('w1'),
    ...[0, 1, 2, 3].flatMap((i) => [
      ...L.get('xk'), ...v.load32Splat(i * rowBytes + u * 4), ...L.set('xi'),
      ...L.get(A(i, 0)), ...L.get('xi'), ...L.get('w0'), ...v.f32Mul, ...v.f32Add, ...L.set(A(i, 0)),
      ...L.get(A(i, 1)), ...L.get('xi'), ...L.get('w1'), ...v.f32Mul, ...v.f32Add, ...L.set(A(i, 1)),
    ]),
  ];
  const epilogue = (i: number): number[] => [
    ...L.get('st'), ...v.load32Splat(i * 4), ...L.set('s'),
    ...L.get(A(i, 0)), ...L.get('s'), ...v.f32Sub, ...L.set('l0'),
    ...L.get(A(i, 1)), ...L.get('s'), ...v.f32Sub, ...L.set('l1'),
    // max
    ...L.get('at'), ...L.get('at'), ...v.load(i * 32 + 16), ...L.get('l0'), ...L.get('l1'), ...v.f32Pmax, ...v.f32Pmax, ...v.store(i * 32 + 16),
    // Σ exp
    ...L.get('l0'), ...expInto(L, 'l0', 'n0', 'y0'),
    ...L.get('l1'), ...expInto(L, 'l1', 'n1', 'y1'),
    ...L.get('y0'), ...L.get('y1'), ...v.f32Add, ...L.set('y0'),
    ...L.get('at'), ...v.load(i * 32), ...L.set('sum'),
    ...accumulateF64(L, 'y0', 'sum'),
    ...L.get('at'), ...L.get('sum'), ...v.store(i * 32),
  ];
  const body = [
    ...expConstants(L),
    ...op.block, ...op.loop, // tiles
    ...L.get('t'), ...L.get('tiles'), ...op.i32GeU, ...op.brIf(1),
    ...L.get('x'), ...L.get('t'), ...op.i32(ROWS_PER_TILE * rowBytes), ...op.i32Mul, ...op.i32Add, ...L.set('xt'),
    ...L.get('shifts'), ...L.get('t'), ...op.i32(ROWS_PER_TILE * 4), ...op.i32Mul, ...op.i32Add, ...L.set('st'),
    ...L.get('acc'), ...L.get('t'), ...op.i32(ROWS_PER_TILE * 32), ...op.i32Mul, ...op.i32Add, ...L.set('at'),
    ...L.get('xt'), ...op.i32(rowBytes), ...op.i32Add, ...L.set('xend'),
    ...op.i32(0), ...L.set('p'),
    ...L.get('w'), ...L.set('wp'),
    ...op.block, ...op.loop, // panels
    ...L.get('p'), ...L.get('panels'), ...op.i32GeU, ...op.brIf(1),
    ...Array.from({ length: 8 }, (_, k) => [...v.const4f(0), ...L.set(A(k >> 1, k & 1))]).flat(),
    ...L.get('xt'), ...L.set('xk'),
    // Over d one step at a time, tested at the bottom (d ≥ 1): unrolling measured 1.5–2× slower
    // in V8 (register pressure), and so did 5- or 6-row tiles.
    ...op.loop,
    ...kStep(0),
    ...L.get('xk'), ...op.i32(4), ...op.i32Add, ...L.set('xk'),
    ...L.get('wp'), ...op.i32(32), ...op.i32Add, ...L.set('wp'),
    ...L.get('xk'), ...L.get('xend'), ...op.i32LtU, ...op.brIf(0), ...op.end,
    ...[0, 1, 2, 3].flatMap(epilogue),
    ...L.get('p'), ...op.i32(1), ...op.i32Add, ...L.set('p'),
    ...op.br(0), ...op.end, ...op.end,
    ...L.get('t'), ...op.i32(1), ...op.i32Add, ...L.set('t'),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return oneFunctionModule('unembedlse', L, body);
}

type KernelFn = (x: number, tiles: number, w: number, panels: number, shifts: number, acc: number) => void;

/** A kernel instance for one d, holding one packed W_U in its memory. */
export class UnembedLse {
  private readonly memory: WebAssembly.Memory;
  private readonly fn: KernelFn;
  private readonly panels: number;
  private readonly wBytes: number;
  /** Columns V − 8·panels, done in JS: [d][tail]. */
  private tail: Float32Array;
  private readonly tailCols: number;
  /** Rows per kernel call (x of a call ≈ 64 kB) and panels per block (≈ 128 kB). */
  private readonly rowsPerCall: number;
  private readonly panelsPerBlock: number;

  private constructor(readonly d: number, readonly V: number, built: { memory: WebAssembly.Memory; fn: KernelFn }, WU: Float32Array) {
    this.memory = built.memory;
    this.fn = built.fn;
    this.panels = Math.floor(V / PANEL);
    this.wBytes = this.panels * d * PANEL * 4;
    this.tailCols = V - this.panels * PANEL;
    this.tail = new Float32Array(0);
    this.rowsPerCall = Math.max(ROWS_PER_TILE, Math.floor(65536 / (d * 4) / ROWS_PER_TILE) * ROWS_PER_TILE);
    this.panelsPerBlock = Math.max(1, Math.floor(131072 / (d * PANEL * 4)));
    this.ensure(this.wBytes + this.rowsPerCall * (d * 4 + 4 + 32));
    this.load(WU);
  }

  /** Pack a (new) W_U [d, V] of the same shape into panels [V/8][d][8] (reuses the memory). */
  load(WU: Float32Array): void {
    const { d, V } = this;
    if (WU.length !== d * V) throw new RangeError(`UnembedLse: ${WU.length} values for [${d}, ${V}]`);
    const packed = new Float32Array(this.memory.buffer, 0, this.wBytes / 4);
    for (let p = 0; p < this.panels; p++) {
      for (let k = 0; k < d; k++) {
        const src = k * V + p * PANEL;
        const dst = (p * d + k) * PANEL;
        for (let j = 0; j < PANEL; j++) packed[dst + j] = WU[src + j];
      }
    }
    this.tail = new Float32Array(d * this.tailCols);
    for (let k = 0; k < d; k++) for (let j = 0; j < this.tailCols; j++) this.tail[k * this.tailCols + j] = WU[k * V + this.panels * PANEL + j];
  }

  /** A kernel for W_U [d, V] (row-major float32), or null where WebAssembly SIMD is missing. */
  static create(WU: Float32Array, d: number, V: number): UnembedLse | null {
    if (WU.length !== d * V) throw new RangeError(`UnembedLse: ${WU.length} values for [${d}, ${V}]`);
    const built = instantiate<KernelFn>(buildKernel(d), 'unembedlse');
    return built ? new UnembedLse(d, V, built, WU) : null;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (have < bytes) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /**
   * log Σ_v exp(x_r · W_U[:, v]) for the rows of x ([n][d] float32, row-major). `shifts` (one per
   * row, default 0) only matter for range: rows whose logits fall outside the shift's window are
   * redone with their own maximum.
   */
  logSumExp(x: Float32Array, n: number, shifts?: Float32Array): Float64Array {
    const { d } = this;
    const out = new Float64Array(n);
    const redo: number[] = [];
    const base = shifts ?? new Float32Array(n);
    for (let r0 = 0; r0 < n; r0 += this.rowsPerCall) {
      const rows = Math.min(this.rowsPerCall, n - r0);
      this.run(x, r0, rows, base, out, redo);
    }
    if (redo.length > 0) {
      // Second pass for out-of-window rows, each shifted by its own maximum.
      const xs = new Float32Array(redo.length * d);
      const s2 = new Float32Array(redo.length);
      redo.forEach((r, i) => {
        xs.set(x.subarray(r * d, (r + 1) * d), i * d);
        s2[i] = out[r]; // run() left the row's maximum logit here
      });
      const again = new Float64Array(redo.length);
      const stillBad: number[] = [];
      for (let r0 = 0; r0 < redo.length; r0 += this.rowsPerCall) this.run(xs, r0, Math.min(this.rowsPerCall, redo.length - r0), s2, again, stillBad);
      redo.forEach((r, i) => { out[r] = stillBad.includes(i) ? NaN : again[i]; });
    }
    return out;
  }

  /** Rows r0 … r0+rows−1 of x; results into out (or, for out-of-window rows, their max, listed in redo). */
  private run(x: Float32Array, r0: number, rows: number, shifts: Float32Array, out: Float64Array, redo: number[]): void {
    const { d } = this;
    const tiles = Math.ceil(rows / ROWS_PER_TILE);
    const padded = tiles * ROWS_PER_TILE;
    const xOff = this.wBytes;
    const sOff = xOff + this.rowsPerCall * d * 4;
    const aOff = sOff + this.rowsPerCall * 4;
    const heapF32 = new Float32Array(this.memory.buffer);
    heapF32.set(x.subarray(r0 * d, (r0 + rows) * d), xOff / 4);
    heapF32.fill(0, xOff / 4 + rows * d, xOff / 4 + padded * d);
    heapF32.set(shifts.subarray(r0, r0 + rows), sOff / 4);
    heapF32.fill(0, sOff / 4 + rows, sOff / 4 + padded);
    const acc = new Float64Array(this.memory.buffer, aOff, padded * 4);
    const accF32 = new Float32Array(this.memory.buffer, aOff, padded * 8);
    for (let r = 0; r < padded; r++) {
      acc[4 * r] = 0;
      acc[4 * r + 1] = 0;
      accF32.fill(-Infinity, 8 * r + 4, 8 * r + 8);
    }
    for (let p0 = 0; p0 < this.panels; p0 += this.panelsPerBlock) {
      const panels = Math.min(this.panelsPerBlock, this.panels - p0);
      this.fn(xOff, tiles, p0 * d * PANEL * 4, panels, sOff, aOff);
    }
    for (let i = 0; i < rows; i++) {
      const shift = shifts[r0 + i];
      let sum = acc[4 * i] + acc[4 * i + 1];
      let max = Math.max(accF32[8 * i + 4], accF32[8 * i + 5], accF32[8 * i + 6], accF32[8 * i + 7]); // shifted
      if (this.tailCols > 0) {
        const row = (r0 + i) * d;
        for (let j = 0; j < this.tailCols; j++) {
          let logit = 0;
          for (let k = 0; k < d; k++) logit += x[row + k] * this.tail[k * this.tailCols + j];
          const shifted = logit - shift;
          max = Math.max(max, shifted);
          sum += Math.exp(shifted);
        }
      }
      if (max > 80 || max < -60 || !Number.isFinite(sum)) {
        out[r0 + i] = max + shift;
        redo.push(r0 + i);
      } else {
        out[r0 + i] = shift + Math.log(sum);
      }
    }
  }
}
