import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decodeToFloat32,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
} from '../../lib/model/safetensors.js';
import type { StateDict } from '../../lib/model/types.js';
import { InputError } from '../../lib/util/errors.js';
import { f32Bytes, u16Bytes } from './helpers/torchbin.js';

const FIXTURES = path.resolve('test/fixtures');

/** A safetensors file from a header (object or raw text) and a data section, built by hand. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return out;
}

function refused(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseSafetensors(bytes, 'bad.safetensors');
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an InputError').to.be.instanceOf(InputError);
  expect((caught as Error).message).to.match(/^bad\.safetensors: /);
  expect((caught as Error).message).to.match(pattern);
}

function bits(x: Float32Array): number[] {
  return [...new Uint32Array(x.buffer, x.byteOffset, x.length)];
}

describe('safetensors: F16 and BF16 decoding', () => {
  it('decodes F16 bit patterns to hand-computed values (normals, subnormals, ±0, ±inf, NaN)', () => {
    const cases: Array<[number, number]> = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125], // 1.0101010101b × 2^-2 = 1365/4096
      [0x7bff, 65504], // largest finite half
      [0x0400, 6.103515625e-5], // smallest normal, 2^-14
      [0x0001, 5.960464477539063e-8], // smallest subnormal, 2^-24
      [0x03ff, 6.097555160522461e-5], // largest subnormal, 1023 × 2^-24
      [0x0200, 3.0517578125e-5], // 512 × 2^-24 = 2^-15
      [0x8001, -5.960464477539063e-8],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const decoded = decodeToFloat32(u16Bytes(cases.map(([h]) => h)), 'F16');
    cases.forEach(([h, want], i) => {
      expect(halfToFloat(h), `halfToFloat(0x${h.toString(16)})`).to.equal(want);
      expect(decoded[i], `decoded 0x${h.toString(16)}`).to.equal(want);
    });
    const signed = decodeToFloat32(u16Bytes([0x8000, 0x0000, 0x7e00, 0xfc01, 0x7c01]), 'F16');
    expect(Object.is(signed[0], -0)).to.equal(true);
    expect(Object.is(signed[1], 0)).to.equal(true);
    expect(Number.isNaN(signed[2]) && Number.isNaN(signed[3]) && Number.isNaN(signed[4])).to.equal(true);
  });

  it('decodes BF16 as the top half of a float32, bit for bit', () => {
    const decoded = decodeToFloat32(u16Bytes([0x3f80, 0xc049, 0x0001, 0x7f80, 0xff80, 0x8000, 0x7f7f, 0x7fc0]), 'BF16');
    expect([...decoded.slice(0, 7)]).to.deep.equal([1, -3.140625, 2 ** -133, Infinity, -Infinity, -0, 3.3895313892515355e38]);
    expect(Object.is(decoded[5], -0)).to.equal(true);
    expect(bits(decoded)[7]).to.equal(0x7fc00000);
  });

  it('decodes F32 bytes bit for bit (NaN payloads included) and BOOL as 0/1', () => {
    const raw = new Uint8Array([0x01, 0x00, 0xa0, 0x7f, 0x00, 0x00, 0x80, 0x3f]); // NaN with payload, 1
    expect(bits(decodeToFloat32(raw, 'F32'))).to.deep.equal([0x7fa00001, 0x3f800000]);
    expect([...decodeToFloat32(new Uint8Array([0, 1, 1, 0]), 'BOOL')]).to.deep.equal([0, 1, 1, 0]);
  });

  it('floatToHalf inverts halfToFloat for all 65536 bit patterns except NaN', () => {
    let nan = 0;
    for (let h = 0; h < 65536; h++) {
      const x = halfToFloat(h);
      if (Number.isNaN(x)) {
        nan++;
        const back = floatToHalf(x);
        expect((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0, 'NaN stays NaN').to.equal(true);
        continue;
      }
      if (floatToHalf(x) !== h) expect.fail(`0x${h.toString(16)} → ${x} → 0x${floatToHalf(x).toString(16)}`);
    }
    expect(nan).to.equal(2 * 1023);
  });

  it('floatToHalf rounds to nearest, ties to even, overflowing to infinity', () => {
    expect(floatToHalf(1 + 2 ** -11)).to.equal(0x3c00); // tie → even (1.0)
    expect(floatToHalf(1 + 3 * 2 ** -11)).to.equal(0x3c02); // tie → even (1 + 2^-9)
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).to.equal(0x3c01); // above the tie
    expect(floatToHalf(65519)).to.equal(0x7bff);
    expect(floatToHalf(65520)).to.equal(0x7c00); // halfway to 2^16 rounds up to infinity
    expect(floatToHalf(-1e6)).to.equal(0xfc00);
    expect(floatToHalf(2 ** -25)).to.equal(0x0000); // half of the smallest subnormal: tie → 0
    expect(floatToHalf(2 ** -25 * 1.001)).to.equal(0x0001);
    expect(floatToHalf(1.5 * 2 ** -24)).to.equal(0x0002); // tie between 1 and 2 ulps → even
    expect(floatToHalf(2 ** -26)).to.equal(0x0000);
    expect(floatToHalf(-(2 ** -30))).to.equal(0x8000);
    expect(floatToHalf(2 ** -14 - 2 ** -25)).to.equal(0x0400); // rounds up into the normal range
  });

  it('floatToBfloat16 rounds to nearest even', () => {
    expect(floatToBfloat16(1)).to.equal(0x3f80);
    expect(floatToBfloat16(1 + 2 ** -8)).to.equal(0x3f80); // tie → even
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).to.equal(0x3f82); // tie → even
    expect(floatToBfloat16(-3.140625)).to.equal(0xc049);
    expect(floatToBfloat16(Infinity)).to.equal(0x7f80);
    expect(floatToBfloat16(NaN) & 0x7fc0).to.equal(0x7fc0);
  });
});

describe('safetensors: reading', () => {
  it('reads a hand-built file with F32, F16 and BF16 tensors', () => {
    const data = new Uint8Array([...f32Bytes([1.5, -2]), ...u16Bytes([0x3c00, 0x0001, 0xc000]), ...u16Bytes([0x3f80]), ...[0, 0, 0]]);
    const bytes = file({
      __metadata__: { format: 'pt' },
      b: { dtype: 'F16', shape: [3], data_offsets: [8, 14] },
      a: { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] },
      c: { dtype: 'BF16', shape: [], data_offsets: [14, 16] },
      d: { dtype: 'BOOL', shape: [1, 3], data_offsets: [16, 19] },
      e: { dtype: 'F32', shape: [0, 4], data_offsets: [19, 19] },
    }, data);
    const { tensors, metadata } = parseSafetensors(bytes, 'x.safetensors');
    expect(metadata).to.deep.equal({ format: 'pt' });
    expect([...tensors.keys()]).to.deep.equal(['a', 'b', 'c', 'd', 'e']); // file order
    expect(tensors.get('a')).to.deep.equal({ shape: [2, 1], data: new Float32Array([1.5, -2]) });
    expect([...(tensors.get('b')?.data ?? [])]).to.deep.equal([1, 2 ** -24, -2]);
    expect(tensors.get('c')).to.deep.equal({ shape: [], data: new Float32Array([1]) });
    expect(tensors.get('e')?.data.length).to.equal(0);
  });

  it('skips the data of names the caller asks to skip', () => {
    const bytes = file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'BOOL', shape: [2], data_offsets: [4, 6] } }, new Uint8Array(6));
    expect([...parseSafetensors(bytes, 'x', { skip: (n) => n === 'b' }).tensors.keys()]).to.deep.equal(['a']);
  });

  it('round-trips serializeSafetensors (F32 bit for bit, F16/BF16 for representable values, 8-byte aligned data)', () => {
    const sd: StateDict = new Map([
      ['w', { shape: [2, 2], data: new Float32Array([0.1, -0, 3e-8, 65504]) }],
      ['b', { shape: [1], data: new Float32Array([-2.5]) }],
    ]);
    const f32 = serializeSafetensors(sd);
    const headerLen = Number(Buffer.from(f32).readBigUInt64LE(0));
    expect((8 + headerLen) % 8).to.equal(0);
    const back = parseSafetensors(f32, 'rt').tensors;
    expect([...back.keys()]).to.deep.equal(['w', 'b']);
    expect(bits(back.get('w')!.data)).to.deep.equal(bits(sd.get('w')!.data));
    const half = parseSafetensors(serializeSafetensors(new Map([['h', { shape: [3], data: new Float32Array([1, 2 ** -24, -65504]) }]]), 'F16'), 'rt');
    expect([...half.tensors.get('h')!.data]).to.deep.equal([1, 2 ** -24, -65504]);
    const bf = parseSafetensors(serializeSafetensors(new Map([['h', { shape: [2], data: new Float32Array([-3.140625, 2 ** -133]) }]]), 'BF16'), 'rt');
    expect([...bf.tensors.get('h')!.data]).to.deep.equal([-3.140625, 2 ** -133]);
  });

  it('decodes the fixtures\' attention.dense biases to exactly the values HF used (expected.json)', () => {
    for (const set of ['neox-tiny', 'neox-tiny-f16']) {
      const { tensors } = readSafetensors(path.join(FIXTURES, set, 'model.safetensors'));
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, set, 'expected.json'), 'utf8')).arrays.attn_dense_bias;
      const flat = Float32Array.from(expected.data as number[]);
      for (let l = 0; l < 3; l++) {
        const got = tensors.get(`gpt_neox.layers.${l}.attention.dense.bias`)!;
        expect(got.shape).to.deep.equal([64]);
        expect(bits(got.data), `${set} layer ${l}`).to.deep.equal(bits(flat.subarray(64 * l, 64 * (l + 1))));
      }
      expect(tensors.size).to.equal(40);
    }
  });

  it('reads from disk exactly what it parses in memory', () => {
    const f = path.join(FIXTURES, 'neox-tiny-f16', 'model.safetensors');
    const a = readSafetensors(f).tensors;
    const b = parseSafetensors(readFileSync(f), f).tensors;
    expect([...a.keys()]).to.deep.equal([...b.keys()]);
    for (const [k, t] of a) expect(bits(t.data), k).to.deep.equal(bits(b.get(k)!.data));
  });
});

describe('safetensors: refusing bad files', () => {
  const one = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('empty and truncated files', () => {
    refused(new Uint8Array(0), /empty/);
    refused(new Uint8Array(5), /truncated/);
    const good = file(one, new Uint8Array(8));
    refused(good.subarray(0, 20), /runs past the end of the file/);
    refused(good.subarray(0, good.length - 1), /past the end of the data section/);
  });

  it('header length past the end of the file, or absurdly large', () => {
    const bytes = file(one, new Uint8Array(8));
    Buffer.from(bytes.buffer).writeBigUInt64LE(1000n, 0);
    refused(bytes, /header length 1000 runs past the end of the file/);
    Buffer.from(bytes.buffer).writeBigUInt64LE(2n ** 62n, 0);
    refused(bytes, /implausibly large/);
  });

  it('a header that is not JSON, or not an object', () => {
    refused(file('{"a": {"dtype": ', new Uint8Array(0)), /not valid JSON/);
    refused(file('[1, 2]'), /not a JSON object/);
    refused(file(Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')), /not valid JSON/);
    refused(file({ __metadata__: { n: 3 } }), /__metadata__/);
  });

  it('overlapping, out-of-range, reversed offsets, holes and trailing bytes', () => {
    refused(file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /"a" and "b" overlap/);
    refused(file({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(8)), /past the end of the data section/);
    refused(file({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)), /reversed/);
    refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /belong to no tensor/);
    refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /4 bytes after the last tensor/);
    refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, -4] } }, new Uint8Array(8)), /data_offsets must be two non-negative integers/);
    refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(8)), /data_offsets/);
  });

  it('dtype/shape/byte-length mismatch, unknown dtype, negative or non-integer shape', () => {
    refused(file({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /byte length 8 does not match dtype F16 × shape \[2\]/);
    refused(file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /does not match/);
    refused(file({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /unsupported dtype "I64"/);
    refused(file({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, new Uint8Array(8)), /negative dimension/);
    refused(file({ a: { dtype: 'F32', shape: [-1, -2], data_offsets: [0, 8] } }, new Uint8Array(8)), /negative dimension/);
    refused(file({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, new Uint8Array(8)), /shape must be a list of integers/);
    refused(file({ a: { shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /missing dtype/);
    refused(file({ a: 3 }), /not an object/);
  });

  it('reports file-system errors and truncated files on disk with the file name', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-st-'));
    try {
      expect(() => readSafetensors(path.join(dir, 'nope.safetensors'))).to.throw(InputError, /nope\.safetensors: no such file/);
      const cut = path.join(dir, 'cut.safetensors');
      const full = readFileSync(path.join(FIXTURES, 'neox-tiny', 'model.safetensors'));
      writeFileSync(cut, full.subarray(0, full.length - 100));
      expect(() => readSafetensors(cut)).to.throw(InputError, /cut\.safetensors: tensor "embed_out\.weight": data_offsets .* past the end of the data section/);
      writeFileSync(cut, full.subarray(0, 100));
      expect(() => readSafetensors(cut)).to.throw(InputError, /header length \d+ runs past the end of the file \(100 bytes\)/);
      writeFileSync(cut, '');
      expect(() => readSafetensors(cut)).to.throw(InputError, /empty/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
