/**
 * The safetensors format (https://github.com/huggingface/safetensors, "Format" section):
 * u64 little-endian header length N, N bytes of UTF-8 JSON mapping tensor names to
 * {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte after the header),
 * an optional "__metadata__" string map, then the raw little-endian data.
 *
 * Every header entry is validated before any data is read: offsets inside the data section,
 * begin <= end, no two tensors overlapping, byte length = product(shape) × dtype size. F32, F16
 * and BF16 are converted to float32 exactly (F16 subnormals included).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/files.js';
import type { HostTensor, StateDict } from './types.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Largest header accepted (the reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** Parse a safetensors file already in memory. `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): { tensors: StateDict; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };
  if (bytes.length === 0) fail('file is empty (not a safetensors file)');
  if (bytes.length < 8) fail(`file is truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} is implausibly large (limit ${MAX_HEADER_BYTES})`);
  if (8 + headerLen > bytes.length) fail(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value === 'object' && value !== null) Object.assign(metadata, value);
      continue;
    }
    entries.push(validateEntry(name, value, dataLen, fail));
  }

  // Overlap check: sorted by begin, each tensor must end before the next starts.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      fail(`tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap (bytes ${sorted[i - 1].begin}-${sorted[i - 1].end} and ${sorted[i].begin}-${sorted[i].end})`);
    }
  }

  const tensors: StateDict = new Map();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { shape: e.shape, data: decodeToFloat32(raw, e.dtype) });
  }
  return { tensors, metadata };
}

function validateEntry(name: string, value: unknown, dataLen: number, fail: (p: string) => never): HeaderEntry {
  if (typeof value !== 'object' || value === null) fail(`tensor "${name}": header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(`tensor "${name}": missing dtype`);
  if (!(dtype as string in DTYPE_BYTES)) {
    fail(`tensor "${name}": unsupported dtype "${dtype}" (cntlens reads F32, F16 and BF16)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    fail(`tensor "${name}": shape must be a list of integers, got ${JSON.stringify(shape)}`);
  }
  if ((shape as number[]).some((d) => d < 0)) fail(`tensor "${name}": negative dimension in shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isInteger(o) && o >= 0)) {
    fail(`tensor "${name}": data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end) fail(`tensor "${name}": data_offsets reversed (${begin} > ${end})`);
  if (end > dataLen) fail(`tensor "${name}": data_offsets [${begin}, ${end}] past the end of the data section (${dataLen} bytes)`);
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = numel * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (end - begin !== expected) {
    fail(`tensor "${name}": byte length ${end - begin} does not match dtype ${dtype} × shape ${JSON.stringify(shape)} (= ${expected} bytes)`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** Read a safetensors file from disk. */
export function readSafetensors(file: string): { tensors: StateDict; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InputError(file, describeFsError(err));
  }
  return parseSafetensors(bytes, file);
}

/** Decode little-endian F32/F16/BF16 bytes to float32 exactly. */
export function decodeToFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    // BF16 is the top 16 bits of a float32.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = view.getUint16(2 * i, true) << 16;
  }
  return out;
}

/** IEEE 754 binary16 → number, exact, including subnormals, infinities and NaN. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (or zero): frac × 2^-14 × 2^-10
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → IEEE 754 binary16 bits, round to nearest even (for saving F16 checkpoints). */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  e = half >>> 10;
  return sign | half;
}

/**
 * Serialise tensors as safetensors (names in the given order, data 8-byte aligned via header
 * padding with spaces as the reference writer does).
 */
export function serializeSafetensors(tensors: StateDict, dtype: 'F32' | 'F16' = 'F32', metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of tensors as Map<string, HostTensor>) {
    const bytes = encodeFloat32(t.data, dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    parts.push(bytes);
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

function encodeFloat32(data: Float32Array, dtype: 'F32' | 'F16'): Uint8Array {
  if (dtype === 'F32') {
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
    return out;
  }
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(2 * i, floatToHalf(data[i]), true);
  return out;
}
