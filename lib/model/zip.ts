/**
 * A small, read-only ZIP reader for PyTorch checkpoints (`torch.save` writes a ZIP archive since
 * PyTorch 1.6: STORED entries, data descriptors, zip64 end records).
 *
 * Follows PKWARE's APPNOTE.TXT (6.3.x): the end of central directory record (4.3.16), the zip64
 * end record and locator (4.3.14, 4.3.15), central directory headers (4.3.12), local file headers
 * (4.3.7) and the zip64 extended information extra field (4.5.3). Supported methods: 0 (stored)
 * and 8 (deflate, via node:zlib). Everything is validated before data is trusted: one disk only,
 * no encryption, every local header present, matching its central entry and inside the file,
 * entries not overlapping, sizes consistent, and the CRC-32 of every entry read checked.
 *
 * Reads are positional (a file descriptor), so a multi-gigabyte archive is never held in memory
 * whole: only the central directory and the entries asked for.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/files.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** Absolute offset of the entry's (compressed) data, from its local header. */
  dataOffset: number;
}

/** Where the archive's bytes come from: an open file or a buffer. */
interface ByteSource {
  size: number;
  readAt(position: number, length: number): Uint8Array;
  close(): void;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
/** Deflate expands at most ~1032:1 (258-byte matches coded in 2 bits each, RFC 1951). */
const MAX_DEFLATE_RATIO = 1032;
const MAX_COMMENT = 0xffff;

export class ZipReader {
  readonly entries: Map<string, ZipEntry>;
  private readonly source: ByteSource;
  readonly file: string;

  private constructor(source: ByteSource, file: string) {
    this.source = source;
    this.file = file;
    try {
      this.entries = readCentralDirectory(source, file);
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** Open an archive on disk (positional reads; call close() when done). */
  static open(file: string): ZipReader {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      throw new InputError(file, describeFsError(err));
    }
    const size = fstatSync(fd).size;
    const source: ByteSource = {
      size,
      readAt(position, length) {
        const out = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, out, done, length - done, position + done);
          if (n === 0) throw new InputError(file, `unexpected end of file at byte ${position + done}`);
          done += n;
        }
        return out;
      },
      close() {
        closeSync(fd);
      },
    };
    return new ZipReader(source, file);
  }

  /** Read an archive already in memory; `file` names it in errors. */
  static fromBytes(bytes: Uint8Array, file: string): ZipReader {
    const source: ByteSource = {
      size: bytes.length,
      readAt(position, length) {
        if (position + length > bytes.length) throw new InputError(file, `unexpected end of data at byte ${bytes.length}`);
        return bytes.subarray(position, position + length);
      },
      close() {},
    };
    return new ZipReader(source, file);
  }

  /**
   * The uncompressed bytes of one entry, CRC-32 checked. `limit` bounds what the caller can
   * legitimately need (`what` says why, for the message): an entry that declares more is refused
   * before anything is read or inflated, so a small archive cannot make cntlens inflate gigabytes.
   */
  read(name: string, limit?: { bytes: number; what: string }): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new InputError(this.file, `archive has no entry "${name}"`);
    if (limit !== undefined && entry.size > limit.bytes) {
      throw new InputError(this.file, `entry "${name}" declares ${entry.size} bytes, more than ${limit.what} (${limit.bytes} bytes): refused before inflating it`);
    }
    if (entry.method === 8 && entry.size > MAX_DEFLATE_RATIO * entry.compressedSize + 1024) {
      throw new InputError(this.file, `entry "${name}" declares ${entry.size} bytes from ${entry.compressedSize} compressed bytes, more than deflate can expand to: the archive is corrupt`);
    }
    const raw = this.source.readAt(entry.dataOffset, entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) {
      data = raw;
    } else {
      try {
        // maxOutputLength bounds a deflate bomb to the size the directory promised.
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        throw new InputError(this.file, `entry "${name}": deflate data is corrupt or larger than its recorded size (${(err as Error).message})`);
      }
    }
    if (data.length !== entry.size) {
      throw new InputError(this.file, `entry "${name}": ${data.length} bytes, the directory records ${entry.size}`);
    }
    const crc = crc32(data);
    if (crc !== entry.crc32) {
      throw new InputError(this.file, `entry "${name}": CRC-32 mismatch (stored ${hex32(entry.crc32)}, data ${hex32(crc)}): the archive is corrupt`);
    }
    return data;
  }

  close(): void {
    this.source.close();
  }
}

function hex32(x: number): string {
  return `0x${x.toString(16).padStart(8, '0')}`;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** u64 little-endian as a number; refuses values past 2^53 (no file is that large). */
function u64(dv: DataView, at: number, fail: (p: string) => never): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`zip64 field ${v} is impossibly large`);
  return Number(v);
}

interface EndRecord {
  entryCount: number;
  cdSize: number;
  cdOffset: number;
  /** Where the end records start: the central directory must end before this. */
  endStart: number;
}

function readEndRecord(source: ByteSource, file: string): EndRecord {
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };
  if (source.size < EOCD_SIZE) fail(`not a zip archive (${source.size} bytes, too short)`);
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = source.readAt(tailStart, tailLength);
  const dv = view(tail);
  // The EOCD record is the last thing in the file but for its comment; scan backwards for a
  // signature whose comment length reaches exactly to the end of the file.
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + dv.getUint16(i + 20, true) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip archive (no end of central directory record)');

  const diskNumber = dv.getUint16(eocd + 4, true);
  const cdDisk = dv.getUint16(eocd + 6, true);
  let entriesOnDisk = dv.getUint16(eocd + 8, true);
  let entryCount = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  let endStart = tailStart + eocd;

  const locatorAt = eocd - 20;
  if (locatorAt >= 0 && dv.getUint32(locatorAt, true) === SIG_ZIP64_LOCATOR) {
    const zip64Disk = dv.getUint32(locatorAt + 4, true);
    const zip64At = u64(dv, locatorAt + 8, fail);
    const totalDisks = dv.getUint32(locatorAt + 16, true);
    if (zip64Disk !== 0 || totalDisks > 1) fail('multi-disk zip archives are not supported');
    if (zip64At + 56 > tailStart + locatorAt) fail(`zip64 end record offset ${zip64At} is out of range`);
    const rec = view(source.readAt(zip64At, 56));
    if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) fail(`no zip64 end of central directory record at byte ${zip64At}`);
    if (rec.getUint32(16, true) !== 0 || rec.getUint32(20, true) !== 0) fail('multi-disk zip archives are not supported');
    entriesOnDisk = u64(rec, 24, fail);
    entryCount = u64(rec, 32, fail);
    cdSize = u64(rec, 40, fail);
    cdOffset = u64(rec, 48, fail);
    endStart = zip64At;
  } else if (diskNumber !== 0 || cdDisk !== 0) {
    fail('multi-disk zip archives are not supported');
  } else if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    fail('zip64 archive without its zip64 end record locator');
  }
  if (entriesOnDisk !== entryCount) fail('multi-disk zip archives are not supported');
  if (cdOffset + cdSize > endStart) {
    fail(`central directory (bytes ${cdOffset}-${cdOffset + cdSize}) runs past the end records (byte ${endStart}): truncated or corrupt archive`);
  }
  return { entryCount, cdSize, cdOffset, endStart };
}

function readCentralDirectory(source: ByteSource, file: string): Map<string, ZipEntry> {
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };
  const end = readEndRecord(source, file);
  const cd = source.readAt(end.cdOffset, end.cdSize);
  const dv = view(cd);
  const decoder = new TextDecoder('utf-8');
  const entries = new Map<string, ZipEntry>();
  let pos = 0;
  for (let n = 0; n < end.entryCount; n++) {
    if (pos + 46 > cd.length || dv.getUint32(pos, true) !== SIG_CENTRAL) fail(`central directory entry ${n} is missing or corrupt`);
    const flags = dv.getUint16(pos + 8, true);
    const method = dv.getUint16(pos + 10, true);
    const crc = dv.getUint32(pos + 16, true);
    let compressedSize = dv.getUint32(pos + 20, true);
    let size = dv.getUint32(pos + 24, true);
    const nameLength = dv.getUint16(pos + 28, true);
    const extraLength = dv.getUint16(pos + 30, true);
    const commentLength = dv.getUint16(pos + 32, true);
    const startDisk = dv.getUint16(pos + 34, true);
    let localHeaderOffset = dv.getUint32(pos + 42, true);
    const next = pos + 46 + nameLength + extraLength + commentLength;
    if (next > cd.length) fail(`central directory entry ${n} runs past the directory`);
    const name = decoder.decode(cd.subarray(pos + 46, pos + 46 + nameLength));

    // Zip64 extended information: present fields replace the 0xFFFFFFFF placeholders, in order.
    const extra = cd.subarray(pos + 46 + nameLength, pos + 46 + nameLength + extraLength);
    const ev = view(extra);
    for (let e = 0; e + 4 <= extra.length;) {
      const id = ev.getUint16(e, true);
      const len = ev.getUint16(e + 2, true);
      if (e + 4 + len > extra.length) fail(`entry "${name}": extra field runs past its record`);
      if (id === 0x0001) {
        let f = e + 4;
        const take = (): number => {
          if (f + 8 > e + 4 + len) fail(`entry "${name}": zip64 extra field too short`);
          const v = u64(ev, f, fail);
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + len;
    }

    if (flags & 0x1) fail(`entry "${name}" is encrypted`);
    if (startDisk !== 0 && startDisk !== 0xffff) fail('multi-disk zip archives are not supported');
    if (method !== 0 && method !== 8) fail(`entry "${name}": compression method ${method} is not supported (stored or deflate only)`);
    if (method === 0 && compressedSize !== size) fail(`entry "${name}": stored entry with compressed size ${compressedSize} ≠ size ${size}`);
    if (entries.has(name)) fail(`duplicate entry "${name}"`);
    entries.set(name, { name, method, crc32: crc, compressedSize, size, localHeaderOffset, dataOffset: -1 });
    pos = next;
  }

  // Local headers: present, consistent with the directory, data inside the file before the
  // central directory, and no two entries sharing bytes.
  const sorted = [...entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  let previousEnd = 0;
  let previousName = '';
  for (const entry of sorted) {
    if (entry.localHeaderOffset < previousEnd) fail(`entries "${previousName}" and "${entry.name}" overlap`);
    if (entry.localHeaderOffset + 30 > end.cdOffset) fail(`entry "${entry.name}": local header offset ${entry.localHeaderOffset} is out of range`);
    const header = view(source.readAt(entry.localHeaderOffset, 30));
    if (header.getUint32(0, true) !== SIG_LOCAL) fail(`entry "${entry.name}": no local file header at byte ${entry.localHeaderOffset}`);
    const flags = header.getUint16(6, true);
    const method = header.getUint16(8, true);
    const nameLength = header.getUint16(26, true);
    const extraLength = header.getUint16(28, true);
    if (method !== entry.method) fail(`entry "${entry.name}": local header says method ${method}, directory says ${entry.method}`);
    if (!(flags & 0x8)) {
      // Without a data descriptor the local header carries CRC and sizes (0xFFFFFFFF under zip64).
      const crc = header.getUint32(14, true);
      const csize = header.getUint32(18, true);
      const usize = header.getUint32(22, true);
      const sameSize = (local: number, central: number): boolean => local === central || local === 0xffffffff;
      if (crc !== entry.crc32 || !sameSize(csize, entry.compressedSize) || !sameSize(usize, entry.size)) {
        fail(`entry "${entry.name}": local header disagrees with the central directory (CRC or sizes)`);
      }
    }
    const nameStart = entry.localHeaderOffset + 30;
    if (nameStart + nameLength + extraLength > end.cdOffset) fail(`entry "${entry.name}": local header runs into the central directory`);
    const localName = decoder.decode(source.readAt(nameStart, nameLength));
    if (localName !== entry.name) fail(`entry "${entry.name}": local header names it "${localName}"`);
    entry.dataOffset = nameStart + nameLength + extraLength;
    const dataEnd = entry.dataOffset + entry.compressedSize;
    if (dataEnd > end.cdOffset) fail(`entry "${entry.name}": data (bytes ${entry.dataOffset}-${dataEnd}) runs past the start of the central directory (byte ${end.cdOffset}): truncated or corrupt archive`);
    previousEnd = dataEnd;
    previousName = entry.name;
  }
  return entries;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309 / ITU-T V.42, the polynomial zip uses): node's native one when present. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  return typeof native === 'function' ? native(data) >>> 0 : crc32Portable(data);
}

/** The same CRC-32 in plain JavaScript (node < 20.15 has no zlib.crc32). */
export function crc32Portable(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
