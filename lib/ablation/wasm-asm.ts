/**
 * A minimal WebAssembly assembler for the two SIMD kernels of the sweep (logsumexp.ts,
 * unembed-kernel.ts): LEB128 encoding, the opcodes used, named locals, a one-function module
 * with its own memory, and the vectorised exp both kernels share.
 *
 * Opcodes from the WebAssembly core spec (binary format, §5.4) and the fixed-width SIMD proposal
 * (merged into the spec in 2.0). exp is Cephes' expf (Moshier 1989, "Methods and programs for
 * mathematical functions"): x = n·ln2 + r with a two-part ln2 (Cody & Waite 1980), e^r by a
 * degree-7 polynomial, 2^n by building the float's exponent bits; relative error about 1e-7.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
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

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Core instructions. Memory immediates: alignment exponent, then offset. */
export const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: (d: number) => [0x0c, d], brIf: (d: number) => [0x0d, d],
  get: (i: number) => [0x20, i], set: (i: number) => [0x21, i],
  i32: (v: number) => [0x41, ...sleb(v)], f32: (v: number) => [0x43, ...f32Bytes(v)],
  i32LtU: [0x49], i32GeU: [0x4f], i32Add: [0x6a], i32Mul: [0x6c], i32Shl: [0x74],
  f32Max: [0x97], f64Add: [0xa0], f64PromoteF32: [0xbb],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
};

/** SIMD instructions (0xFD prefix, LEB128 sub-opcode). */
export const simd = (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm];
export const v = {
  load: (offset = 0) => simd(0x00, 2, ...uleb(offset)),
  load32Splat: (offset = 0) => simd(0x09, 2, ...uleb(offset)),
  store: (offset = 0) => simd(0x0b, 2, ...uleb(offset)),
  const4f: (x: number) => simd(0x0c, ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x)),
  const4i: (x: number) => simd(0x0c, ...new Uint8Array(new Int32Array([x, x, x, x]).buffer)),
  swapHalves: simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), // i8x16.shuffle
  f32Splat: simd(0x13), f32Extract: (lane: number) => simd(0x1f, lane), f64Extract: (lane: number) => simd(0x21, lane),
  f64PromoteLow: simd(0x5f),
  i32Shl: simd(0xab), i32Add: simd(0xae), i32Sub: simd(0xb1),
  f32Add: simd(0xe4), f32Sub: simd(0xe5), f32Mul: simd(0xe6),
  // pmin/pmax (b < a ? b : a / b < a ? a : b) are one x86 minps/maxps each; f32x4.min/max's NaN
  // and ±0 rules cost V8 several instructions.
  f32Pmin: simd(0xea), f32Pmax: simd(0xeb),
  f64Add: simd(0xf0),
};

/** Named locals: params first, then i32, f32 and v128 locals. */
export class Locals {
  private readonly index = new Map<string, number>();
  constructor(readonly params: string[], readonly i32s: string[], readonly f32s: string[], readonly v128s: string[]) {
    [...params, ...i32s, ...f32s, ...v128s].forEach((name, i) => {
      if (this.index.has(name)) throw new Error(`wasm-asm: local ${name} declared twice`);
      this.index.set(name, i);
    });
  }

  get(name: string): number[] {
    return op.get(this.at(name));
  }

  set(name: string): number[] {
    return op.set(this.at(name));
  }

  private at(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`wasm-asm: unknown local ${name}`);
    return i;
  }

  /** The locals declaration of the function body. */
  declaration(): number[] {
    return [3, ...uleb(this.i32s.length), I32, ...uleb(this.f32s.length), F32, ...uleb(this.v128s.length), V128];
  }
}

/** A module with one exported memory ("memory", growable) and one exported function of i32 params. */
export function oneFunctionModule(name: string, locals: Locals, body: number[]): Uint8Array<ArrayBuffer> {
  const func = [...locals.declaration(), ...body, ...op.end];
  const text = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, locals.params.length, ...locals.params.map(() => I32), 0]), // type: (i32 …) → ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page, no max
    ...section(7, [2, ...text('memory'), 0x02, 0, ...text(name), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return new Uint8Array(bytes);
}

/** Compile and instantiate; null where WebAssembly SIMD is unavailable. */
export function instantiate<F>(bytes: Uint8Array<ArrayBuffer>, name: string): { memory: WebAssembly.Memory; fn: F } | null {
  try {
    if (!WebAssembly.validate(bytes)) return null;
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as Record<string, unknown>;
    return { memory: exports.memory as WebAssembly.Memory, fn: exports[name] as F };
  } catch {
    return null;
  }
}

/** The v128 locals the exp sequence needs (constants) — declare them in the kernel. */
export const EXP_CONSTANT_LOCALS = ['cMin', 'cMax', 'cLog2e', 'cMagic', 'cC1', 'cC2', 'cP0', 'cP1', 'cP2', 'cP3', 'cP4', 'cP5', 'cOne', 'cBias'];

const MAGIC = 12582912; // 1.5 · 2^23: adding it rounds a float to an integer in the mantissa
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** Set the exp constants (once, before the loops: V8 rematerialises v128.const at each use). */
export function expConstants(L: Locals): number[] {
  return [
    ...v.const4f(-87), ...L.set('cMin'), ...v.const4f(88), ...L.set('cMax'),
    ...v.const4f(Math.LOG2E), ...L.set('cLog2e'), ...v.const4f(MAGIC), ...L.set('cMagic'),
    ...v.const4f(0.693359375), ...L.set('cC1'), ...v.const4f(-2.12194440e-4), ...L.set('cC2'),
    ...EXP_POLY.flatMap((c, k) => [...v.const4f(c), ...L.set(`cP${k}`)]),
    ...v.const4f(1), ...L.set('cOne'), ...v.const4i(127), ...L.set('cBias'),
  ];
}

/**
 * exp of the f32x4 on the stack, clamped to [−87, 88] first (e^−87 is still a normal float;
 * e^88 still finite), into local `y`; uses locals `x` and `n` as scratch.
 */
export function expInto(L: Locals, x: string, n: string, y: string): number[] {
  return [
    ...L.get('cMin'), ...v.f32Pmax, ...L.get('cMax'), ...v.f32Pmin, ...L.set(x),
    // j = x·log2e + 1.5·2²³ (rounded to an integer); n = j − 1.5·2²³ as a float
    ...L.get(x), ...L.get('cLog2e'), ...v.f32Mul, ...L.get('cMagic'), ...v.f32Add, ...L.set(y),
    ...L.get(y), ...L.get('cMagic'), ...v.f32Sub, ...L.set(n),
    // r = x − n·C1 − n·C2
    ...L.get(x), ...L.get(n), ...L.get('cC1'), ...v.f32Mul, ...v.f32Sub, ...L.get(n), ...L.get('cC2'), ...v.f32Mul, ...v.f32Sub, ...L.set(x),
    // 2^n as float bits: (bits(j) − bits(1.5·2²³) + 127) << 23
    ...L.get(y), ...L.get('cMagic'), ...v.i32Sub, ...L.get('cBias'), ...v.i32Add, ...op.i32(23), ...v.i32Shl, ...L.set(n),
    // e^r = poly(r)·r² + r + 1
    ...L.get('cP0'), ...[1, 2, 3, 4, 5].flatMap((k) => [...L.get(x), ...v.f32Mul, ...L.get(`cP${k}`), ...v.f32Add]),
    ...L.get(x), ...L.get(x), ...v.f32Mul, ...v.f32Mul, ...L.get(x), ...v.f32Add, ...L.get('cOne'), ...v.f32Add,
    ...L.get(n), ...v.f32Mul, ...L.set(y),
  ];
}

/** acc (f64x2 local) += both halves of the f32x4 local `y`, promoted to float64. */
export function accumulateF64(L: Locals, y: string, acc: string): number[] {
  return [
    ...L.get(acc), ...L.get(y), ...v.f64PromoteLow, ...v.f64Add,
    ...L.get(y), ...L.get(y), ...v.swapHalves, ...v.f64PromoteLow, ...v.f64Add, ...L.set(acc),
  ];
}
