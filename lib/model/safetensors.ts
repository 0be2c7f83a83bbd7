/**
 * The safetensors format (https://github.com/huggingface/safetensors, "Format" section):
 * u64 little-endian header length N, N bytes of UTF-8 JSON mapping tensor names to
 * {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte after the header),
 * an optional "__metadata__" string→string map, then the raw little-endian data.
 *
 * Every header entry is validated before any data is read, as the reference implementation does:
 * known dtype, non-negative integer shape, begin <= end, byte length = product(shape) × dtype
 * size, and the tensors tile the data section exactly — no overlap, no hole, nothing after the
 * last tensor (the spec forbids unindexed bytes, which also rules out polyglot files).
 * F32, F16, BF16 (and BOOL, for legacy buffers) are converted to float32 exactly: F32 and BF16
 * bit for bit, F16 including subnormals, ±0, ±inf (NaN stays NaN).
 *
 * `readSafetensors` reads the header first and then each tensor with positional reads, so the
 * file is never held in memory whole (and files over node's 2 GiB readFile limit work).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { InputError, preview } from '../util/errors.js';
import { describeFsError } from '../util/files.js';
import type { HostTensor, StateDict } from './types.js';

/** Dtypes read (decoded to float32). BOOL is only met in legacy buffers (attention.bias). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'BOOL';
/** Dtypes written. */
export type SafetensorsWriteDtype = 'F32' | 'F16' | 'BF16';
export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, BOOL: 1 };

/** One validated header entry; begin/end are relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
  /** Entries in file order (sorted by offset). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

export interface ReadSafetensorsOptions {
  /** Names whose data is not read or decoded (legacy buffers); still validated in the header. */
  skip?: (name: string) => boolean;
}

/** Largest header accepted (the reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Validate a safetensors header. `head` holds at least the first 8 + N bytes of the file (it may
 * hold the whole file); `fileSize` is the full file's length.
 */
export function parseSafetensorsHeader(head: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };
  if (fileSize === 0) fail('file is empty (not a safetensors file)');
  if (fileSize < 8 || head.length < 8) fail(`file is truncated: ${fileSize} bytes, too short for the 8-byte header length`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} is implausibly large (limit ${MAX_HEADER_BYTES})`);
  const n = Number(headerLen);
  if (8 + n > fileSize) fail(`header length ${n} runs past the end of the file (${fileSize} bytes): truncated or not a safetensors file`);
  if (8 + n > head.length) fail(`header length ${n} exceeds the ${head.length - 8} header bytes given`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + n;
  const dataLen = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        fail('"__metadata__" must be a map of strings to strings');
      }
      Object.assign(metadata, value);
      continue;
    }
    entries.push(validateEntry(name, value, dataLen, fail));
  }

  // The tensors must tile [0, dataLen) exactly: sorted by offset, each starts where the previous
  // ended. Zero-size tensors (begin = end) may share a position.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.begin < cursor && previous) {
      fail(`tensors "${previous.name}" and "${e.name}" overlap (bytes ${previous.begin}-${previous.end} and ${e.begin}-${e.end})`);
    }
    if (e.begin > cursor) {
      fail(`bytes ${cursor}-${e.begin} of the data section belong to no tensor (before "${e.name}"); the format forbids holes`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLen) fail(`data section has ${dataLen - cursor} bytes after the last tensor (${dataLen} bytes, tensors end at ${cursor}): truncated data or trailing garbage`);
  return { dataStart, entries, metadata };
}

function validateEntry(name: string, value: unknown, dataLen: number, fail: (p: string) => never): SafetensorsEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`tensor "${name}": header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(`tensor "${name}": missing dtype`);
  if (!Object.hasOwn(DTYPE_BYTES, dtype as string)) {
    fail(`tensor "${name}": unsupported dtype "${dtype}" (cntlens reads F32, F16 and BF16 weights)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d))) {
    fail(`tensor "${name}": shape must be a list of integers, got ${preview(shape)}`);
  }
  if ((shape as number[]).some((d) => d < 0)) fail(`tensor "${name}": negative dimension in shape ${preview(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
    fail(`tensor "${name}": data_offsets must be two non-negative integers, got ${preview(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end) fail(`tensor "${name}": data_offsets reversed (${begin} > ${end})`);
  if (end > dataLen) fail(`tensor "${name}": data_offsets [${begin}, ${end}] past the end of the data section (${dataLen} bytes)`);
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = numel * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (!Number.isSafeInteger(expected) || end - begin !== expected) {
    fail(`tensor "${name}": byte length ${end - begin} does not match dtype ${dtype} × shape ${JSON.stringify(shape)} (= ${expected} bytes)`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** Parse a safetensors file already in memory. `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string, options: ReadSafetensorsOptions = {}): { tensors: StateDict; metadata: Record<string, string> } {
  const { dataStart, entries, metadata } = parseSafetensorsHeader(bytes, bytes.length, file);
  const tensors: StateDict = new Map();
  for (const e of entries) {
    if (options.skip?.(e.name)) continue;
    tensors.set(e.name, { shape: e.shape, data: decodeToFloat32(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype) });
  }
  return { tensors, metadata };
}

/** Read a safetensors file from disk (header first, then each tensor by positional reads). */
export function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): { tensors: StateDict; metadata: Record<string, string> } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(file, describeFsError(err));
  }
  try {
    const size = fstatSync(fd).size;
    const readInto = (out: Uint8Array, position: number): void => {
      let done = 0;
      while (done < out.length) {
        const got = readSync(fd, out, done, out.length - done, position + done);
        if (got === 0) throw new InputError(file, `file shrank while being read (end at byte ${position + done})`);
        done += got;
      }
    };
    const readAt = (position: number, length: number): Uint8Array => {
      const out = new Uint8Array(length);
      readInto(out, position);
      return out;
    };
    const lengthBytes = readAt(0, Math.min(8, size));
    let head: Uint8Array = lengthBytes;
    if (size >= 8) {
      const n = new DataView(lengthBytes.buffer).getBigUint64(0, true);
      // Only read the header when its length is plausible; parseSafetensorsHeader reports the rest.
      if (n <= BigInt(MAX_HEADER_BYTES) && 8n + n <= BigInt(size)) head = readAt(0, 8 + Number(n));
    }
    const { dataStart, entries, metadata } = parseSafetensorsHeader(head, size, file);
    const tensors: StateDict = new Map();
    for (const e of entries) {
      if (options.skip?.(e.name)) continue;
      let data: Float32Array;
      if (e.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
        // Read straight into the result: no intermediate copy for the common dtype.
        data = new Float32Array((e.end - e.begin) / 4);
        readInto(new Uint8Array(data.buffer), dataStart + e.begin);
      } else {
        data = decodeToFloat32(readAt(dataStart + e.begin, e.end - e.begin), e.dtype);
      }
      tensors.set(e.name, { shape: e.shape, data });
    }
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';
let halfTable: Float32Array | undefined;

/** Decode little-endian F32/F16/BF16/BOOL bytes to float32 exactly (BOOL → 0/1). */
export function decodeToFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = raw.byteLength / DTYPE_BYTES[dtype];
  if (!Number.isInteger(n)) throw new RangeError(`${raw.byteLength} bytes is not a whole number of ${dtype} values`);
  const out = new Float32Array(n);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'F32') {
    // A byte copy keeps every bit (NaN payloads included).
    if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(raw);
    else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === 'F16') {
    if (!halfTable) {
      halfTable = new Float32Array(65536);
      for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
    }
    const table = halfTable;
    const u16 = littleEndianU16(raw);
    if (u16) for (let i = 0; i < n; i++) out[i] = table[u16[i]];
    else for (let i = 0; i < n; i++) out[i] = table[view.getUint16(2 * i, true)];
  } else if (dtype === 'BF16') {
    // BF16 is the top 16 bits of a float32.
    const u32 = new Uint32Array(out.buffer);
    const u16 = littleEndianU16(raw);
    if (u16) for (let i = 0; i < n; i++) u32[i] = u16[i] << 16;
    else for (let i = 0; i < n; i++) u32[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = raw[i] !== 0 ? 1 : 0;
  }
  return out;
}

/** A Uint16Array view of the bytes when the host is little-endian and they are 2-byte aligned. */
function littleEndianU16(raw: Uint8Array): Uint16Array | undefined {
  if (!LITTLE_ENDIAN_HOST || raw.byteOffset % 2 !== 0) return undefined;
  return new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
}

/** IEEE 754 binary16 bits → number, exact, including subnormals, ±0, ±infinity and NaN. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (or zero): frac × 2^-14 × 2^-10
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * number → IEEE 754 binary16 bits, round to nearest, ties to even (for saving F16 checkpoints).
 * The value is first rounded to float32 (inputs are float32 weights). Overflow gives ±infinity,
 * NaN a quiet NaN.
 */
export function floatToHalf(value: number): number {
  const x = float32Bits(value);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: shift the 24-bit significand (implicit 1 restored) right and round.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  // A carry out of the mantissa correctly bumps the exponent (and 0x7bff + 1 = infinity).
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** number → bfloat16 bits (top half of the float32, round to nearest even; NaN stays NaN). */
export function floatToBfloat16(value: number): number {
  const x = float32Bits(value);
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

const bitsScratch = new Float32Array(1);
const bitsScratchU32 = new Uint32Array(bitsScratch.buffer);
function float32Bits(value: number): number {
  bitsScratch[0] = value;
  return bitsScratchU32[0];
}

/**
 * Serialise tensors as safetensors (names in the given order, data 8-byte aligned via header
 * padding with spaces as the reference writer does).
 */
export function serializeSafetensors(tensors: StateDict, dtype: SafetensorsWriteDtype = 'F32', metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
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

function encodeFloat32(data: Float32Array, dtype: SafetensorsWriteDtype): Uint8Array {
  if (dtype === 'F32') {
    const out = new Uint8Array(data.length * 4);
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      const view = new DataView(out.buffer);
      for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
    }
    return out;
  }
  const encode = dtype === 'F16' ? floatToHalf : floatToBfloat16;
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(2 * i, encode(data[i]), true);
  return out;
}
