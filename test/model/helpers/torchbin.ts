/**
 * Test-only builders for PyTorch-style checkpoints, written independently of lib/model (their own
 * CRC-32, zip writer and pickle emitter), so tests can craft valid, corrupt and malicious
 * `pytorch_model.bin` files byte by byte.
 */
import { deflateRawSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// CRC-32 (reflected polynomial 0xEDB88320), bitwise — slow but obviously right.

export function crc32Reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Zip writer (APPNOTE 6.3): local header + data (+ descriptor), central directory, end records.

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** 0 stored (default) or 8 deflate. */
  method?: 0 | 8;
}

export interface ZipOptions {
  /** Write sizes in a data descriptor after the data (general-purpose flag bit 3), as torch does. */
  dataDescriptor?: boolean;
  /** Pad local headers with an extra field so data starts on a multiple of 64 (torch does). */
  align64?: boolean;
  /** Always write zip64 end records (and zip64 extra fields with 0xFFFFFFFF placeholders). */
  zip64?: boolean;
}

class Bytes {
  private readonly chunks: Uint8Array[] = [];
  private small: number[] = [];
  private size = 0;
  get length(): number {
    return this.size;
  }
  u8(v: number): this {
    this.small.push(v & 0xff);
    this.size++;
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  raw(b: Uint8Array | number[]): this {
    this.flush();
    this.chunks.push(Uint8Array.from(b));
    this.size += b.length;
    return this;
  }
  text(s: string): this {
    return this.raw(new TextEncoder().encode(s));
  }
  private flush(): void {
    if (this.small.length > 0) this.chunks.push(Uint8Array.from(this.small));
    this.small = [];
  }
  build(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export function writeZip(entries: ZipInput[], options: ZipOptions = {}): Uint8Array {
  const out = new Bytes();
  const central = new Bytes();
  const flags = (options.dataDescriptor ? 0x8 : 0) | 0x800;
  for (const entry of entries) {
    const method = entry.method ?? 0;
    const stored = method === 8 ? deflateRawSync(entry.data) : entry.data;
    const crc = crc32Reference(entry.data);
    const name = new TextEncoder().encode(entry.name);
    const offset = out.length;
    let extra: number[] = [];
    if (options.align64) {
      const pad = (64 - ((offset + 30 + name.length + 4) % 64)) % 64;
      extra = [0x46, 0x42, pad & 0xff, pad >> 8, ...new Array(pad).fill(0x5a)]; // "FB" padding field, like torch
    }
    const desc = options.dataDescriptor;
    out.u32(0x04034b50).u16(20).u16(flags).u16(method).u16(0).u16(0)
      .u32(desc ? 0 : crc).u32(desc ? 0 : stored.length).u32(desc ? 0 : entry.data.length)
      .u16(name.length).u16(extra.length).raw(name).raw(extra).raw(stored);
    if (desc) out.u32(0x08074b50).u32(crc).u32(stored.length).u32(entry.data.length);

    const zip64Extra = options.zip64 ? new Bytes().u16(1).u16(24).u64(entry.data.length).u64(stored.length).u64(offset).build() : new Uint8Array(0);
    const big = options.zip64 ? 0xffffffff : -1;
    central.u32(0x02014b50).u16(45).u16(45).u16(flags).u16(method).u16(0).u16(0)
      .u32(crc).u32(big >= 0 ? big : stored.length).u32(big >= 0 ? big : entry.data.length)
      .u16(name.length).u16(zip64Extra.length).u16(0).u16(0).u16(0).u32(0)
      .u32(big >= 0 ? big : offset).raw(name).raw(zip64Extra);
  }
  const cdOffset = out.length;
  const cd = central.build();
  out.raw(cd);
  if (options.zip64) {
    const zip64At = out.length;
    out.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(entries.length).u64(entries.length).u64(cd.length).u64(cdOffset);
    out.u32(0x07064b50).u32(0).u64(zip64At).u32(1);
    out.u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(0);
  } else {
    out.u32(0x06054b50).u16(0).u16(0).u16(entries.length).u16(entries.length).u32(cd.length).u32(cdOffset).u16(0);
  }
  return out.build();
}

// ---------------------------------------------------------------------------------------------
// Pickle emitter (opcodes per CPython Lib/pickletools.py).

export class Pickle {
  private readonly b = new Bytes();
  op(code: number): this {
    this.b.u8(code);
    return this;
  }
  proto(n = 2): this {
    return this.op(0x80).op(n);
  }
  global(module: string, name: string): this {
    this.b.u8(0x63).text(`${module}\n${name}\n`);
    return this;
  }
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.b.u8(0x58).u32(bytes.length).raw(bytes);
    return this;
  }
  shortStr(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.b.u8(0x8c).u8(bytes.length).raw(bytes);
    return this;
  }
  int(n: number): this {
    if (n >= 0 && n < 256) this.b.u8(0x4b).u8(n);
    else if (n >= 0 && n < 65536) this.b.u8(0x4d).u16(n);
    else if (n >= -(2 ** 31) && n < 2 ** 31) this.b.u8(0x4a).u32(n >>> 0);
    else throw new Error('test pickler: int out of range');
    return this;
  }
  mark(): this { return this.op(0x28); }
  tuple(): this { return this.op(0x74); }
  emptyTuple(): this { return this.op(0x29); }
  emptyDict(): this { return this.op(0x7d); }
  setitems(): this { return this.op(0x75); }
  reduce(): this { return this.op(0x52); }
  persid(): this { return this.op(0x51); }
  build(): this { return this.op(0x62); }
  none(): this { return this.op(0x4e); }
  bool(v: boolean): this { return this.op(v ? 0x88 : 0x89); }
  put(i: number): this { return this.op(0x71).op(i); }
  get(i: number): this { return this.op(0x68).op(i); }
  stop(): this { return this.op(0x2e); }
  ints(values: number[]): this {
    if (values.length === 0) return this.emptyTuple();
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  raw(bytes: Uint8Array | number[]): this {
    this.b.raw(bytes);
    return this;
  }
  bytes(): Uint8Array {
    return this.b.build();
  }
}

export interface PickledTensor {
  name: string;
  storageClass: string;
  key: string;
  numel: number;
  offset?: number;
  size: number[];
  stride?: number[];
}

export function contiguousStride(size: number[]): number[] {
  const stride = new Array<number>(size.length);
  for (let i = size.length - 1, s = 1; i >= 0; i--) {
    stride[i] = s;
    s *= size[i];
  }
  return stride;
}

/** One `_rebuild_tensor_v2(...)` call, as torch.save emits it. */
export function emitTensor(p: Pickle, t: PickledTensor): Pickle {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().str('storage').global('torch', t.storageClass).str(t.key).str('cpu').int(t.numel).tuple().persid();
  p.int(t.offset ?? 0).ints(t.size).ints(t.stride ?? contiguousStride(t.size)).bool(false);
  p.global('collections', 'OrderedDict').emptyTuple().reduce();
  return p.tuple().reduce();
}

/**
 * A state-dict pickle. 'ordered': OrderedDict (torch.save of an OrderedDict); 'dict': a plain
 * dict (save_pretrained's shards); 'metadata': OrderedDict plus BUILD of its `_metadata`
 * attribute (torch.save(model.state_dict())).
 */
export function stateDictPickle(tensors: PickledTensor[], style: 'ordered' | 'dict' | 'metadata' = 'ordered'): Uint8Array {
  const p = new Pickle().proto(2);
  if (style === 'dict') p.emptyDict();
  else p.global('collections', 'OrderedDict').emptyTuple().reduce();
  if (tensors.length > 0) {
    p.mark();
    for (const t of tensors) emitTensor(p.str(t.name), t);
    p.setitems();
  }
  if (style === 'metadata') {
    p.emptyDict().mark().str('_metadata');
    p.global('collections', 'OrderedDict').emptyTuple().reduce();
    p.mark().str('').emptyDict().mark().str('version').int(1).setitems().setitems();
    p.setitems().build();
  }
  return p.stop().bytes();
}

/** A torch-style archive: `<folder>/data.pkl`, `<folder>/data/<key>`, `<folder>/version`. */
export function torchBin(pickle: Uint8Array, storages: Record<string, Uint8Array>, folder = 'archive', options: ZipOptions = { dataDescriptor: true, align64: true, zip64: true }): Uint8Array {
  const entries: ZipInput[] = [{ name: `${folder}/data.pkl`, data: pickle }];
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${folder}/data/${key}`, data });
  entries.push({ name: `${folder}/version`, data: new TextEncoder().encode('3\n') });
  return writeZip(entries, options);
}

/** Little-endian float32 bytes of a list of numbers. */
export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return out;
}

/** Little-endian u16 bytes (for F16/BF16 bit patterns). */
export function u16Bytes(bits: number[]): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  const view = new DataView(out.buffer);
  bits.forEach((b, i) => view.setUint16(2 * i, b, true));
  return out;
}
