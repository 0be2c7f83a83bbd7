import { expect } from 'chai';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { crc32, crc32Portable, ZipReader } from '../../lib/model/zip.js';
import { InputError } from '../../lib/util/errors.js';
import { crc32Reference, writeZip, type ZipInput } from './helpers/torchbin.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function entriesOf(bytes: Uint8Array): Record<string, string> {
  const zip = ZipReader.fromBytes(bytes, 'test.zip');
  const out: Record<string, string> = {};
  for (const name of zip.entries.keys()) out[name] = new TextDecoder().decode(zip.read(name));
  return out;
}

function refused(bytes: Uint8Array, pattern: RegExp, readName?: string): void {
  let caught: unknown;
  try {
    const zip = ZipReader.fromBytes(bytes, 'bad.zip');
    if (readName) zip.read(readName);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an InputError').to.be.instanceOf(InputError);
  expect((caught as Error).message).to.match(/^bad\.zip: /);
  expect((caught as Error).message).to.match(pattern);
}

/** Offset of the n-th occurrence of a 4-byte little-endian signature. */
function findSignature(bytes: Uint8Array, sig: number, nth = 0): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0, seen = 0; i + 4 <= bytes.length; i++) {
    if (dv.getUint32(i, true) === sig && seen++ === nth) return i;
  }
  throw new Error('signature not found');
}

describe('zip reader', () => {
  const inputs: ZipInput[] = [
    { name: 'archive/data.pkl', data: enc('pickle bytes') },
    { name: 'archive/data/0', data: enc('x'.repeat(300)), method: 8 },
    { name: 'archive/empty', data: new Uint8Array(0) },
  ];
  const expected = { 'archive/data.pkl': 'pickle bytes', 'archive/data/0': 'x'.repeat(300), 'archive/empty': '' };

  it('computes CRC-32 (check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32Portable(enc('123456789'))).to.equal(0xcbf43926);
    expect(crc32(enc('123456789'))).to.equal(0xcbf43926);
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    expect(crc32Portable(data)).to.equal(crc32Reference(data));
  });

  it('reads plain, data-descriptor + aligned (torch style) and zip64 archives, stored and deflated', () => {
    expect(entriesOf(writeZip(inputs))).to.deep.equal(expected);
    expect(entriesOf(writeZip(inputs, { dataDescriptor: true, align64: true }))).to.deep.equal(expected);
    expect(entriesOf(writeZip(inputs, { dataDescriptor: true, align64: true, zip64: true }))).to.deep.equal(expected);
  });

  it('reads the fixture pytorch_model.bin directory (written by torch.save)', () => {
    const file = path.resolve('test/fixtures/neox-tiny-bin/pytorch_model.bin');
    const zip = ZipReader.open(file);
    try {
      expect(zip.entries.size).to.equal(51);
      expect(new TextDecoder().decode(zip.read('pytorch_model/version'))).to.equal('3\n');
      expect(zip.read('pytorch_model/data/0').length).to.equal(97 * 64 * 4);
      const pkl = zip.read('pytorch_model/data.pkl');
      expect([pkl[0], pkl[1], pkl[pkl.length - 1]]).to.deep.equal([0x80, 0x02, 0x2e]); // PROTO 2 … STOP
    } finally {
      zip.close();
    }
    const same = ZipReader.fromBytes(readFileSync(file), file);
    expect(same.entries.get('pytorch_model/data/0')).to.deep.equal(ZipReader.open(file).entries.get('pytorch_model/data/0'));
  });

  it('refuses non-zips, truncated archives and archives without an end record', () => {
    refused(new Uint8Array(0), /not a zip archive/);
    refused(enc('just some text that is long enough to scan'), /no end of central directory/);
    const good = writeZip(inputs, { dataDescriptor: true });
    refused(good.subarray(0, good.length - 10), /no end of central directory/);
    refused(good.subarray(20), /central directory .* runs past the end records/); // offsets no longer line up
  });

  it('refuses a corrupt CRC, an entry whose data was altered, and deflate data that inflates past its size', () => {
    const bytes = writeZip(inputs);
    const dataAt = 30 + 'archive/data.pkl'.length;
    bytes[dataAt] ^= 1;
    refused(bytes, /CRC-32 mismatch/, 'archive/data.pkl');

    const bomb = writeZip([{ name: 'b', data: new Uint8Array(1000), method: 8 }], { dataDescriptor: true });
    const cd = findSignature(bomb, 0x02014b50);
    new DataView(bomb.buffer).setUint32(cd + 24, 10, true); // uncompressed size in the directory says 10
    refused(bomb, /larger than its recorded size/, 'b');
  });

  it('refuses bad local headers, names that disagree, overlapping and out-of-range entries', () => {
    const a = writeZip(inputs);
    const noLocal = a.slice();
    noLocal[0] = 0x50 ^ 0xff;
    refused(noLocal, /no local file header/);

    const renamed = a.slice();
    renamed[30] = 'X'.charCodeAt(0); // first byte of the first local name
    refused(renamed, /local header names it "Xrchive\/data\.pkl"/);

    const overlap = writeZip([{ name: 'a', data: enc('aaaa') }, { name: 'b', data: enc('aaaa') }]);
    const cd2 = findSignature(overlap, 0x02014b50, 1);
    new DataView(overlap.buffer).setUint32(cd2 + 42, 0, true); // b's local header offset → a's
    refused(overlap, /entries "a" and "b" overlap/);

    const far = writeZip(inputs);
    new DataView(far.buffer).setUint32(findSignature(far, 0x02014b50) + 42, 1 << 30, true);
    refused(far, /out of range/);

    const setSizes = (bytes: Uint8Array, n: number): Uint8Array => {
      const cdl = findSignature(bytes, 0x02014b50);
      new DataView(bytes.buffer).setUint32(cdl + 20, n, true);
      new DataView(bytes.buffer).setUint32(cdl + 24, n, true);
      return bytes;
    };
    refused(setSizes(writeZip([{ name: 'a', data: enc('aaaa') }], { dataDescriptor: true }), 400), /runs past the start of the central directory/);
    refused(setSizes(writeZip([{ name: 'a', data: enc('aaaa') }]), 3), /local header disagrees with the central directory/);
  });

  it('refuses encryption, unknown methods and duplicate names', () => {
    const enc1 = writeZip([{ name: 'a', data: enc('aaaa') }]);
    const cd = findSignature(enc1, 0x02014b50);
    new DataView(enc1.buffer).setUint16(cd + 8, 0x1, true);
    refused(enc1, /encrypted/);

    const bz = writeZip([{ name: 'a', data: enc('aaaa') }]);
    new DataView(bz.buffer).setUint16(findSignature(bz, 0x02014b50) + 10, 12, true);
    refused(bz, /compression method 12 is not supported/);

    refused(writeZip([{ name: 'a', data: enc('1') }, { name: 'a', data: enc('2') }]), /duplicate entry "a"/);
  });
});
