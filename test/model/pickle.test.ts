import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatherView, readPytorchBin, unpickleStateDict } from '../../lib/model/pickle.js';
import { ZipReader } from '../../lib/model/zip.js';
import { InputError } from '../../lib/util/errors.js';
import { emitTensor, f32Bytes, Pickle, stateDictPickle, torchBin, u16Bytes, writeZip, type PickledTensor } from './helpers/torchbin.js';

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function refusedPickle(bytes: Uint8Array, pattern: RegExp): string {
  let caught: unknown;
  try {
    unpickleStateDict(bytes, 'evil.pkl');
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an InputError').to.be.instanceOf(InputError);
  const message = (caught as Error).message;
  expect(message).to.match(/^evil\.pkl: /);
  expect(message).to.match(pattern);
  return message;
}

describe('pickle: refusing anything but a state dict, executing nothing', () => {
  let dir: string;
  let canary: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-pickle-'));
    canary = path.join(dir, 'canary');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    // Had any payload run (in Python or, absurdly, in JavaScript), these would exist.
    expect(existsSync(canary), 'canary file').to.equal(false);
    expect((globalThis as Record<string, unknown>).__cntlensCanary, 'canary global').to.equal(undefined);
  });

  it('refuses os.system, posix.system, builtins.eval/exec, subprocess.Popen and friends by name', () => {
    const cmd = `touch ${canary}`;
    const js = 'globalThis.__cntlensCanary = 1';
    const cases: Array<[Uint8Array, string]> = [
      // Protocol 0, the classic: cos\nsystem\n(S'cmd'\ntR.
      [latin1(`cos\nsystem\n(S'${cmd}'\ntR.`), 'os.system'],
      [latin1(`cposix\nsystem\n(S'${cmd}'\ntR.`), 'posix.system'],
      [latin1(`cnt\nsystem\n(S'${cmd}'\ntR.`), 'nt.system'],
      [new Pickle().proto(2).global('builtins', 'eval').str(`__import__('os').system('${cmd}') or (${js})`).op(0x85).reduce().stop().bytes(), 'builtins.eval'],
      [new Pickle().proto(2).global('builtins', 'exec').str(js).op(0x85).reduce().stop().bytes(), 'builtins.exec'],
      [new Pickle().proto(2).global('__builtin__', 'eval').str(js).op(0x85).reduce().stop().bytes(), '__builtin__.eval'],
      [new Pickle().proto(2).global('subprocess', 'Popen').mark().str('touch').str(canary).op(0x6c).op(0x85).reduce().stop().bytes(), 'subprocess.Popen'],
      [new Pickle().proto(2).global('torch', 'load').str(canary).op(0x85).reduce().stop().bytes(), 'torch.load'],
      [new Pickle().proto(2).global('torch.serialization', 'load').str(canary).op(0x85).reduce().stop().bytes(), 'torch.serialization.load'],
      [new Pickle().proto(2).global('collections', 'defaultdict').emptyTuple().reduce().stop().bytes(), 'collections.defaultdict'],
      // Protocol 4's STACK_GLOBAL takes the names from the stack: same check.
      [new Pickle().proto(4).shortStr('os').shortStr('system').op(0x93).shortStr(cmd).op(0x85).reduce().stop().bytes(), 'os.system'],
    ];
    for (const [bytes, global] of cases) {
      const message = refusedPickle(bytes, new RegExp(`global "${global.replace(/\./g, '\\.')}"`));
      expect(message).to.match(/Nothing was executed/);
    }
  });

  it('refuses a forbidden global hidden inside an otherwise valid state dict', () => {
    const p = new Pickle().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    emitTensor(p.str('ok'), { name: 'ok', storageClass: 'FloatStorage', key: '0', numel: 1, size: [1] });
    p.str('evil').global('os', 'system').str(`touch ${canary}`).op(0x85).reduce().setitems().stop();
    refusedPickle(p.bytes(), /global "os\.system" \(byte \d+\)/);
  });

  it('refuses object-building and extension opcodes even with allowed classes', () => {
    refusedPickle(latin1(`(S'touch ${canary}'\nios\nsystem\n.`), /opcode STRING|opcode INST/);
    refusedPickle(new Pickle().proto(2).mark().global('collections', 'OrderedDict').op(0x6f).stop().bytes(), /opcode OBJ \(0x6f\)/);
    refusedPickle(new Pickle().proto(2).global('collections', 'OrderedDict').emptyTuple().op(0x81).stop().bytes(), /opcode NEWOBJ \(0x81\)/);
    refusedPickle(new Pickle().proto(4).global('collections', 'OrderedDict').emptyTuple().emptyDict().op(0x92).stop().bytes(), /opcode NEWOBJ_EX/);
    refusedPickle(new Pickle().proto(2).op(0x82).op(1).stop().bytes(), /opcode EXT1/);
    refusedPickle(latin1('P0\n.'), /opcode PERSID/);
    refusedPickle(latin1('\x80\x02I1\n.'), /opcode INT/);
    refusedPickle(new Pickle().proto(2).op(0xff).bytes(), /opcode unknown \(0xff\)/);
  });

  it('refuses calls that are not the four known constructors, and wrong arguments to them', () => {
    refusedPickle(new Pickle().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes(), /REDUCE calls the global torch\.FloatStorage/);
    refusedPickle(new Pickle().proto(2).str('os').emptyTuple().reduce().stop().bytes(), /REDUCE calls the string "os"/);
    refusedPickle(new Pickle().proto(2).global('collections', 'OrderedDict').mark().str('a').tuple().reduce().stop().bytes(), /OrderedDict is called with arguments/);
    refusedPickle(new Pickle().proto(2).global('collections', 'OrderedDict').str('x').reduce().stop().bytes(), /arguments are the string "x", expected a tuple/);
    // _rebuild_tensor_v2 with a storage that is not a persistent id.
    const p = new Pickle().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().str('storage').int(0).ints([1]).ints([1]).bool(false);
    p.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().stop();
    refusedPickle(p.bytes(), /storage is the string "storage", expected a persistent storage/);
    // Backward hooks that are not empty.
    const q = new Pickle().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark();
    q.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(1).tuple().persid();
    q.int(0).ints([1]).ints([1]).bool(false);
    q.global('collections', 'OrderedDict').emptyTuple().reduce().mark().int(0).str('hook').setitems();
    q.tuple().reduce().stop();
    refusedPickle(q.bytes(), /backward hooks are an OrderedDict with entries/);
    // BUILD on something that is not an OrderedDict.
    refusedPickle(new Pickle().proto(2).emptyDict().emptyDict().build().stop().bytes(), /BUILD .* on a dict/);
  });

  it('refuses malformed persistent ids, sizes and strides', () => {
    const pid = (build: (p: Pickle) => void): Uint8Array => {
      const p = new Pickle().proto(2);
      build(p);
      return p.persid().stop().bytes();
    };
    refusedPickle(pid((p) => p.mark().str('module').str('x').tuple()), /persistent id .* is not \('storage'/);
    refusedPickle(pid((p) => p.mark().str('storage').str('FloatStorage').str('0').str('cpu').int(1).tuple()), /storage type is the string/);
    refusedPickle(pid((p) => p.mark().str('storage').global('torch', 'FloatStorage').str('../x').str('cpu').int(1).tuple()), /storage key/);
    refusedPickle(pid((p) => p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(-1).tuple()), /numel is the number -1/);
    const tensor = (t: Partial<PickledTensor>): Uint8Array => {
      const p = new Pickle().proto(2).emptyDict().str('w');
      emitTensor(p, { name: 'w', storageClass: 'FloatStorage', key: '0', numel: 4, size: [2, 2], ...t });
      return p.op(0x73).stop().bytes();
    };
    refusedPickle(tensor({ size: [2, -2], stride: [2, 1] }), /tensor size is a tuple of 2, expected a tuple of non-negative integers/);
    refusedPickle(tensor({ size: [2, 2], stride: [1] }), /differ in length/);
    refusedPickle(tensor({ offset: -1 }), /storage offset is the number -1/);
  });

  it('refuses truncated, unterminated or non-state-dict pickles', () => {
    const good = stateDictPickle([{ name: 'w', storageClass: 'FloatStorage', key: '0', numel: 2, size: [2] }]);
    refusedPickle(good.subarray(0, 40), /pickle is truncated \(GLOBAL at byte 36/);
    refusedPickle(good.subarray(0, good.length - 1), /truncated/);
    refusedPickle(new Uint8Array(0), /truncated/);
    refusedPickle(new Pickle().proto(2).get(7).stop().bytes(), /memo slot 7, which was never set/);
    refusedPickle(new Pickle().proto(2).ints([1, 2]).stop().bytes(), /holds a tuple of 2, expected a state dict/);
    refusedPickle(new Pickle().proto(2).emptyDict().str('model').emptyDict().op(0x73).stop().bytes(), /entry "model" is a dict, expected a tensor/);
    refusedPickle(new Pickle().proto(2).emptyDict().emptyDict().stop().bytes(), /with 2 values on the stack/);
    refusedPickle(new Pickle().proto(2).op(0x8a).op(9).raw(new Array(9).fill(1)).stop().bytes(), /LONG1 of 9 bytes/);
    refusedPickle(new Pickle().proto(2).op(0x8c).op(2).raw([0xc3, 0x28]).stop().bytes(), /not valid UTF-8/);
    refusedPickle(new Pickle().proto(6).stop().bytes(), /protocol 6/);
    const twice = new Pickle().proto(2).emptyDict().mark();
    emitTensor(twice.str('a'), { name: 'a', storageClass: 'FloatStorage', key: '0', numel: 4, size: [4] });
    emitTensor(twice.str('b'), { name: 'b', storageClass: 'HalfStorage', key: '0', numel: 4, size: [4] });
    refusedPickle(twice.setitems().stop().bytes(), /storage "0" is described twice/);
  });
});

describe('pickle: state dicts torch.save writes', () => {
  it('interprets the fixture data.pkl (OrderedDict of _rebuild_tensor_v2 with FloatStorage/BoolStorage)', () => {
    const zip = ZipReader.open(path.resolve('test/fixtures/neox-tiny-bin/pytorch_model.bin'));
    const refs = unpickleStateDict(zip.read('pytorch_model/data.pkl'), 'data.pkl');
    zip.close();
    expect(refs.size).to.equal(40 + 9);
    const embed = refs.get('gpt_neox.embed_in.weight');
    expect(embed).to.deep.include({ offset: 0, size: [97, 64], stride: [64, 1] });
    expect(embed?.storage).to.deep.include({ storageClass: 'FloatStorage', dtype: 'F32', key: '0', location: 'cpu', numel: 6208 });
    expect(refs.get('gpt_neox.layers.0.attention.bias')?.storage.storageClass).to.equal('BoolStorage');
    expect(refs.get('gpt_neox.layers.0.attention.masked_bias')?.size).to.deep.equal([]);
  });

  it('accepts a plain dict, an OrderedDict, and an OrderedDict with _metadata (BUILD), all alike', () => {
    const tensors: PickledTensor[] = [
      { name: 'a', storageClass: 'FloatStorage', key: '0', numel: 6, size: [2, 3] },
      { name: 'b', storageClass: 'HalfStorage', key: '1', numel: 2, size: [2] },
    ];
    const plain = unpickleStateDict(stateDictPickle(tensors, 'dict'), 'x');
    expect([...plain.keys()]).to.deep.equal(['a', 'b']);
    expect(unpickleStateDict(stateDictPickle(tensors, 'ordered'), 'x')).to.deep.equal(plain);
    expect(unpickleStateDict(stateDictPickle(tensors, 'metadata'), 'x')).to.deep.equal(plain);
  });

  it('accepts _rebuild_parameter around a tensor and the older _rebuild_tensor', () => {
    const p = new Pickle().proto(2).emptyDict().str('w').global('torch._utils', '_rebuild_parameter').mark();
    emitTensor(p, { name: 'w', storageClass: 'FloatStorage', key: '0', numel: 2, size: [2] });
    p.bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().op(0x73);
    p.str('v').global('torch._utils', '_rebuild_tensor').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(2).tuple().persid();
    p.int(1).ints([1]).ints([1]).tuple().reduce().op(0x73).stop();
    const refs = unpickleStateDict(p.bytes(), 'x');
    expect(refs.get('w')).to.deep.include({ offset: 0, size: [2], stride: [1] });
    expect(refs.get('v')).to.deep.include({ offset: 1, size: [1], stride: [1] });
  });
});

describe('pickle: gathering storage views', () => {
  const fail = (p: string): never => {
    throw new InputError('view', p);
  };
  const storage = Float32Array.from({ length: 12 }, (_, i) => i);

  it('slices contiguous views and gathers strided ones element by element', () => {
    expect([...gatherView(storage, { offset: 2, size: [2, 3], stride: [3, 1] }, fail)]).to.deep.equal([2, 3, 4, 5, 6, 7]);
    // A transposed view of a [3, 4] matrix: element [i][j] = storage[j * 4 + i].
    expect([...gatherView(storage, { offset: 0, size: [4, 3], stride: [1, 4] }, fail)]).to.deep.equal([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect([...gatherView(storage, { offset: 1, size: [2, 2], stride: [6, 2] }, fail)]).to.deep.equal([1, 3, 7, 9]);
    expect([...gatherView(storage, { offset: 5, size: [], stride: [] }, fail)]).to.deep.equal([5]);
    expect([...gatherView(storage, { offset: 3, size: [3], stride: [0] }, fail)]).to.deep.equal([3, 3, 3]); // expand()
    expect(gatherView(storage, { offset: 99, size: [0, 5], stride: [5, 1] }, fail).length).to.equal(0);
  });

  it('refuses views that reach past their storage', () => {
    expect(() => gatherView(storage, { offset: 8, size: [2, 3], stride: [3, 1] }, fail)).to.throw(InputError, /reaches element 13 of a storage of 12/);
    expect(() => gatherView(storage, { offset: 0, size: [4, 4], stride: [1, 4] }, fail)).to.throw(InputError, /reaches element 15/);
  });
});

describe('pickle: reading pytorch_model.bin archives', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-bin-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array): string => {
    const f = path.join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };

  it('decodes F32/F16/BF16 storages, shared storages, offsets and strided views, under any folder name', () => {
    const tensors: PickledTensor[] = [
      { name: 'w', storageClass: 'FloatStorage', key: '0', numel: 6, size: [3, 2], stride: [1, 3] }, // transposed
      { name: 'w_tail', storageClass: 'FloatStorage', key: '0', numel: 6, size: [2], offset: 4 }, // same storage
      { name: 'h', storageClass: 'HalfStorage', key: '1', numel: 3, size: [3] },
      { name: 'bf', storageClass: 'BFloat16Storage', key: 'bf16', numel: 2, size: [1, 2] },
    ];
    const storages = { '0': f32Bytes([1, 2, 3, 4, 5, 6]), '1': u16Bytes([0x3c00, 0x0001, 0xfc00]), bf16: u16Bytes([0xc049, 0x3f80]) };
    for (const folder of ['archive', 'pytorch_model', 'checkpoint-1000']) {
      const f = write(`${folder}.bin`, torchBin(stateDictPickle(tensors), storages, folder));
      const { tensors: got, skipped } = readPytorchBin(f);
      expect(skipped).to.deep.equal([]);
      expect(got.get('w')).to.deep.equal({ shape: [3, 2], data: new Float32Array([1, 4, 2, 5, 3, 6]) });
      expect(got.get('w_tail')).to.deep.equal({ shape: [2], data: new Float32Array([5, 6]) });
      expect(got.get('h')).to.deep.equal({ shape: [3], data: new Float32Array([1, 2 ** -24, -Infinity]) });
      expect(got.get('bf')).to.deep.equal({ shape: [1, 2], data: new Float32Array([-3.140625, 1]) });
    }
  });

  it('skips what the caller asks without reading it, and refuses undecodable or missing storages otherwise', () => {
    const tensors: PickledTensor[] = [
      { name: 'w', storageClass: 'FloatStorage', key: '0', numel: 1, size: [1] },
      { name: 'steps', storageClass: 'LongStorage', key: '1', numel: 1, size: [] },
    ];
    const f = write('long.bin', torchBin(stateDictPickle(tensors), { '0': f32Bytes([7]) }));
    const { tensors: got, skipped } = readPytorchBin(f, { skip: (n) => n === 'steps' });
    expect([...got.keys()]).to.deep.equal(['w']);
    expect(skipped).to.deep.equal(['steps']);
    expect(() => readPytorchBin(f)).to.throw(InputError, /tensor "steps": torch\.LongStorage \(I64\) is not supported for weights/);

    const missing = write('missing.bin', torchBin(stateDictPickle(tensors.slice(0, 1)), {}));
    expect(() => readPytorchBin(missing)).to.throw(InputError, /storage "0" has no entry archive\/data\/0/);
    const short = write('short.bin', torchBin(stateDictPickle(tensors.slice(0, 1)), { '0': new Uint8Array(3) }));
    expect(() => readPytorchBin(short)).to.throw(InputError, /archive\/data\/0 declares 3 bytes, expected 1 × 4/);
    const outside = write('outside.bin', torchBin(stateDictPickle([{ ...tensors[0], offset: 1 }]), { '0': f32Bytes([7]) }));
    expect(() => readPytorchBin(outside)).to.throw(InputError, /tensor "w": tensor view .* reaches element 1 of a storage of 1/);
  });

  it('refuses a malicious data.pkl with the archive named in the error', () => {
    const evil = new Pickle().proto(2).global('os', 'system').str('echo pwned').op(0x85).reduce().stop().bytes();
    const f = write('evil.bin', torchBin(evil, {}));
    expect(() => readPytorchBin(f)).to.throw(InputError, /evil\.bin: archive\/data\.pkl: pickle refused: it asks for the global "os\.system"/);
  });

  it('refuses archives that are not torch checkpoints', () => {
    expect(() => readPytorchBin(write('empty.bin', new Uint8Array(0)))).to.throw(InputError, /empty/);
    expect(() => readPytorchBin(write('text.bin', latin1('hello world, not a zip')))).to.throw(InputError, /not a zip archive/);
    // torch < 1.6 wrote a bare pickle starting with the magic number as LONG1: 80 02 8a 0a …
    expect(() => readPytorchBin(write('legacy.bin', latin1('\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.')))).to.throw(InputError, /legacy PyTorch serialization/);
    const good = stateDictPickle([]);
    expect(() => readPytorchBin(write('nopkl.bin', torchBin(good, {}, 'a/b')))).to.throw(InputError, /no <folder>\/data\.pkl/);
    const big = write('big-endian.bin', torchBinWith(good, [['archive/byteorder', 'big']]));
    expect(() => readPytorchBin(big)).to.throw(InputError, /big-endian/);
    const little = write('little.bin', torchBinWith(good, [['archive/byteorder', 'little']]));
    expect(readPytorchBin(little).tensors.size).to.equal(0);
    const two = write('two.bin', torchBinWith(good, [['other/data.pkl', '']]));
    expect(() => readPytorchBin(two)).to.throw(InputError, /several pickles/);
  });
});

/** A torch archive with extra text entries. */
function torchBinWith(pickle: Uint8Array, extra: Array<[string, string]>): Uint8Array {
  const base = torchBin(pickle, {});
  const zip = ZipReader.fromBytes(base, 'x');
  const entries = [...zip.entries.keys()].map((name) => ({ name, data: zip.read(name) }));
  for (const [name, text] of extra) entries.push({ name, data: new TextEncoder().encode(text) });
  return writeZip(entries);
}
