/**
 * The resource check every loader and command runs before it allocates: estimate the bytes a
 * request needs, compare them with what this process may use, and refuse in one line that names
 * the option (or file), the estimate, the limit and — where one value drives the size — the
 * largest value that fits. A request the machine cannot hold then stops at once with a reason,
 * rather than after minutes with an out-of-memory abort (exit 134) or a RangeError.
 *
 * The limit is CNTLENS_MAX_MEMORY when set (bytes, or with a unit: 4G, 1500M), else three
 * quarters of the memory available to the process (process.availableMemory: free RAM, or the
 * cgroup limit when lower). Tensors of the wasm backend live in one WebAssembly memory of at most
 * 4 GiB whatever the machine has (WASM_TENSOR_LIMIT).
 */
import { freemem } from 'node:os';
import { statfsSync } from 'node:fs';
import v8 from 'node:v8';
import { CntlensError, InputError, OptionError } from './errors.js';
import { formatBytes } from './files.js';

/** What a wasm backend's tensors may use: its 4 GiB WebAssembly memory, less room for fragmentation. */
export const WASM_TENSOR_LIMIT = 3 * 2 ** 30;

/** The share of the available memory cntlens plans for when CNTLENS_MAX_MEMORY is not set. */
const AVAILABLE_SHARE = 0.75;

export interface MemoryLimit {
  bytes: number;
  /** Where the limit comes from, for messages. */
  source: string;
}

/** `4G`, `1500M`, `2.5GiB`, `1073741824` → bytes; null when not a size. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return null;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Math.floor(Number(m[1]) * scale);
  return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
}

/** The memory this process may plan for (see the module comment). */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env): MemoryLimit {
  const raw = env.CNTLENS_MAX_MEMORY;
  if (raw !== undefined && raw.trim() !== '') {
    const bytes = parseByteSize(raw);
    if (bytes === null) throw new OptionError('CNTLENS_MAX_MEMORY', `expected a size such as 4G or 1500M, got "${raw}"`);
    return { bytes, source: 'CNTLENS_MAX_MEMORY' };
  }
  const available = typeof process.availableMemory === 'function' ? process.availableMemory() : freemem();
  return { bytes: Math.floor(available * AVAILABLE_SHARE), source: `${Math.round(AVAILABLE_SHARE * 100)}% of the ${formatBytes(available)} of memory available; set CNTLENS_MAX_MEMORY to change it` };
}

/** What the JavaScript heap can still take (plain arrays, strings and objects live there). */
export function heapLimit(): MemoryLimit {
  const stats = v8.getHeapStatistics();
  return { bytes: Math.max(0, stats.heap_size_limit - stats.used_heap_size), source: `the JavaScript heap's ${formatBytes(stats.heap_size_limit)} limit (node --max-old-space-size)` };
}

/** One part of an estimate, for the message: "clean activations 1.2 GiB". */
export interface MemoryPart {
  label: string;
  bytes: number;
}

export interface MemoryRequest {
  /** What is asked, for the message: "1000000 prompts of 101 tokens". */
  what: string;
  parts: MemoryPart[];
  /** The limit to hold (default memoryLimit()). */
  limit?: MemoryLimit;
  /** The option that drives the size, and the largest value of it that fits (when known). */
  option?: string;
  largest?: number | null;
  /** The file whose content drives the size (an InputError names it instead of an option). */
  file?: string;
}

export function totalBytes(parts: readonly MemoryPart[]): number {
  return parts.reduce((sum, p) => sum + p.bytes, 0);
}

/** Refuse a request whose estimate exceeds the limit (see the module comment for the message). */
export function checkMemory(request: MemoryRequest): void {
  const limit = request.limit ?? memoryLimit();
  const total = totalBytes(request.parts);
  if (total <= limit.bytes) return;
  const shown = [...request.parts].filter((p) => p.bytes > 0).sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  const breakdown = shown.length > 1 ? ` (${shown.map((p) => `${p.label} ${formatBytes(p.bytes)}`).join(', ')})` : '';
  refuse(`${request.what} need about ${formatBytes(total)}${breakdown}, more than the ${formatBytes(limit.bytes)} cntlens may use (${limit.source})`, request, request.largest);
}

/**
 * Throw the one-line refusal: an InputError naming `file`, else an OptionError naming `option`,
 * with the largest value that fits when one is known.
 */
export function refuse(message: string, target: { option?: string; file?: string }, largest?: number | null): never {
  if (largest !== undefined) message += largest === null || largest < 1 ? '; no value fits' : `; at most ${largest} fit${largest === 1 ? 's' : ''}`;
  if (target.file !== undefined) throw new InputError(target.file, message);
  if (target.option !== undefined) throw new OptionError(target.option, message);
  throw new CntlensError(message);
}

/**
 * The largest integer v in [lo, hi] with fits(v), for a monotone `fits` (true up to some value,
 * false after); lo − 1 when none fits.
 */
export function largestFitting(lo: number, hi: number, fits: (v: number) => boolean): number {
  if (!fits(lo)) return lo - 1;
  let good = lo;
  let bad = hi + 1;
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    if (fits(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** Free bytes on the file system holding `dir` (an existing folder), or null when unknown. */
export function freeDiskBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}
