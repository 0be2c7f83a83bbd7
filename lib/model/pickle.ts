/**
 * PyTorch `pytorch_model.bin` files (the zip serialization of `torch.save`, PyTorch ≥ 1.6) read
 * WITHOUT executing anything.
 *
 * The archive holds `<folder>/data.pkl`, a pickle (protocol 2) of the state dict, and
 * `<folder>/data/<key>`, the raw little-endian bytes of each storage. Pickle is a small stack
 * machine whose GLOBAL + REDUCE opcodes can call any Python function: loading an untrusted pickle
 * with Python's `pickle` runs arbitrary code. This module is not an unpickler in that sense: it
 * is a data-only interpreter of the opcodes a state dict needs (see PICKLE_OPCODES below, following
 * CPython's Lib/pickletools.py descriptions), and it knows exactly four callables, each evaluated
 * by our own code into a plain value:
 *
 * - `collections.OrderedDict()` → an empty ordered dict;
 * - `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`
 *   and `torch._utils._rebuild_tensor(storage, offset, size, stride)` → a view on a storage;
 * - `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)` → the tensor.
 *
 * Storages arrive as persistent ids `('storage', torch.<T>Storage, key, location, numel)` (the
 * form torch.serialization's `persistent_id` writes). Any other global (`os.system`,
 * `builtins.eval`, `subprocess.Popen`, …), any other opcode (INST, OBJ, NEWOBJ, EXT*, text
 * opcodes, …) or any value of the wrong type is refused with an InputError naming the file; no
 * Python object is ever constructed, so there is nothing to execute.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { describeFsError } from '../util/files.js';
import { decodeToFloat32, type SafetensorsDtype } from './safetensors.js';
import type { StateDict } from './types.js';
import { ZipReader } from './zip.js';

/** Element types of the storage classes accepted (torch.<Name>Storage). */
export type TorchDtype = 'F32' | 'F16' | 'BF16' | 'BOOL' | 'F64' | 'U8' | 'I8' | 'I16' | 'I32' | 'I64';

const STORAGE_CLASSES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  BoolStorage: { dtype: 'BOOL', bytes: 1 },
  DoubleStorage: { dtype: 'F64', bytes: 8 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  CharStorage: { dtype: 'I8', bytes: 1 },
  ShortStorage: { dtype: 'I16', bytes: 2 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  LongStorage: { dtype: 'I64', bytes: 8 },
};

/** The dtypes decoded to float32 (weights); the others are accepted only for skipped buffers. */
const DECODABLE: ReadonlySet<TorchDtype> = new Set<TorchDtype>(['F32', 'F16', 'BF16', 'BOOL']);

const CALLABLES = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor', 'torch._utils._rebuild_parameter']);

/** A storage named by a persistent id; its bytes are the archive entry `data/<key>`. */
export interface StorageRef {
  kind: 'storage';
  storageClass: string;
  dtype: TorchDtype;
  elementBytes: number;
  key: string;
  location: string;
  numel: number;
}

/** A tensor as pickled: a strided view on a storage (offsets and strides in elements). */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

// ---------------------------------------------------------------------------------------------
// Pickle values. Only data: tuples, lists, dicts, scalars, allowed globals (as names), storages
// and tensor views.

class PTuple {
  constructor(readonly items: readonly Value[]) {}
}
class PList {
  readonly items: Value[] = [];
}
class PDict {
  readonly map = new Map<string | number, Value>();
  constructor(readonly ordered: boolean) {}
}
class PGlobal {
  constructor(readonly qualified: string) {}
}
type Value = null | boolean | number | string | PTuple | PList | PDict | PGlobal | StorageRef | TensorRef;

function describe(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v instanceof PTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PList) return 'a list';
  if (v instanceof PDict) return v.ordered ? 'an OrderedDict' : 'a dict';
  if (v instanceof PGlobal) return `the global ${v.qualified}`;
  return v.kind === 'storage' ? 'a storage' : 'a tensor';
}

/** Opcode names, for messages (CPython Lib/pickletools.py). Only some of them are executed. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const ALLOWED_GLOBALS_TEXT = 'collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor, torch._utils._rebuild_parameter, torch.<Float|Half|BFloat16|Bool|Double|Byte|Char|Short|Int|Long>Storage';

function isAllowedGlobal(qualified: string): boolean {
  if (CALLABLES.has(qualified)) return true;
  const m = /^torch\.(\w+)$/.exec(qualified);
  return m !== null && Object.hasOwn(STORAGE_CLASSES, m[1]);
}

/**
 * Interpret a state-dict pickle. Returns tensor views by name, in pickle order. `file` names the
 * file in errors and `entry` (e.g. "archive/data.pkl") the pickle inside it, when there is one.
 */
export function unpickleStateDict(data: Uint8Array, file: string, entry?: string): Map<string, TensorRef> {
  const fail = (problem: string): never => {
    throw new InputError(file, entry ? `${entry}: ${problem}` : problem);
  };
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  const storages = new Map<string, StorageRef>();
  let pos = 0;
  let opAt = 0;

  const need = (n: number): void => {
    if (pos + n > data.length) fail(`pickle is truncated (opcode at byte ${opAt} needs ${n} more bytes)`);
  };
  const pop = (): Value => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail(`pickle stack underflow at byte ${opAt}`);
    return stack.pop() as Value;
  };
  const top = (): Value => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail(`pickle stack is empty at byte ${opAt}`);
    return stack[stack.length - 1];
  };
  const popMark = (): Value[] => {
    const m = marks.pop();
    if (m === undefined) fail(`pickle opcode at byte ${opAt} needs a MARK, none is open`);
    return stack.splice(m as number);
  };
  const readLine = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`pickle is truncated (GLOBAL at byte ${opAt} has no end of line)`);
    if (end - pos > 256) fail(`pickle GLOBAL at byte ${opAt} is malformed (name over 256 bytes)`);
    const text = new TextDecoder('latin1').decode(data.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const str = (n: number): string => {
    need(n);
    let s = '';
    try {
      s = utf8.decode(data.subarray(pos, pos + n));
    } catch {
      fail(`pickle string at byte ${opAt} is not valid UTF-8`);
    }
    pos += n;
    return s;
  };
  const memoPut = (index: number): void => {
    memo.set(index, top());
  };
  const memoGet = (index: number): void => {
    if (!memo.has(index)) fail(`pickle refers to memo slot ${index}, which was never set (byte ${opAt})`);
    stack.push(memo.get(index) as Value);
  };
  const pushGlobal = (module: string, name: string): void => {
    const qualified = `${module}.${name}`;
    if (!isAllowedGlobal(qualified)) {
      fail(`pickle refused: it asks for the global "${qualified}" (byte ${opAt}), which a state dict never needs; allowed: ${ALLOWED_GLOBALS_TEXT}. Nothing was executed.`);
    }
    stack.push(new PGlobal(qualified));
  };
  const setItems = (target: Value, items: Value[]): void => {
    if (!(target instanceof PDict)) fail(`pickle SETITEM(S) at byte ${opAt} on ${describe(target)}, expected a dict`);
    if (items.length % 2 !== 0) fail(`pickle SETITEMS at byte ${opAt} has an odd number of items`);
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (typeof key !== 'string' && typeof key !== 'number') fail(`pickle dict key at byte ${opAt} is ${describe(key)}; only strings and numbers are accepted`);
      (target as PDict).map.set(key as string | number, items[i + 1]);
    }
  };
  const appendItems = (target: Value, items: Value[]): void => {
    if (!(target instanceof PList)) fail(`pickle APPEND(S) at byte ${opAt} on ${describe(target)}, expected a list`);
    (target as PList).items.push(...items);
  };

  for (;;) {
    opAt = pos;
    need(1);
    const op = data[pos++];
    switch (op) {
      case 0x80: { // PROTO
        need(1);
        const proto = data[pos++];
        if (proto > 5) fail(`pickle protocol ${proto} is not supported`);
        break;
      }
      case 0x95: // FRAME (protocol 4 framing hint): the frame length is irrelevant here
        need(8);
        pos += 8;
        break;
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`pickle ends (STOP at byte ${opAt}) with ${stack.length} values on the stack and ${marks.length} open MARKs`);
        return toStateDict(stack[0], fail);
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: need(4); stack.push(dv.getInt32(pos, true)); pos += 4; break; // BININT
      case 0x4b: need(1); stack.push(data[pos]); pos += 1; break; // BININT1
      case 0x4d: need(2); stack.push(dv.getUint16(pos, true)); pos += 2; break; // BININT2
      case 0x8a: { // LONG1: n bytes, little-endian two's complement
        need(1);
        const n = data[pos++];
        if (n > 8) fail(`pickle LONG1 of ${n} bytes at byte ${opAt} is too large`);
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[pos + i]);
        if (n > 0 && data[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`pickle integer ${v} at byte ${opAt} is out of range`);
        stack.push(Number(v));
        break;
      }
      case 0x47: need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x58: { need(4); const n = dv.getUint32(pos, true); pos += 4; stack.push(str(n)); break; } // BINUNICODE
      case 0x8c: { need(1); const n = data[pos++]; stack.push(str(n)); break; } // SHORT_BINUNICODE
      case 0x8d: { // BINUNICODE8
        need(8);
        const n = dv.getBigUint64(pos, true);
        pos += 8;
        if (n > BigInt(data.length)) fail(`pickle is truncated (string of ${n} bytes at byte ${opAt})`);
        stack.push(str(Number(n)));
        break;
      }
      case 0x29: stack.push(new PTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PTuple(popMark())); break; // TUPLE
      case 0x85: { const a = pop(); stack.push(new PTuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PTuple([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push(new PList()); break; // EMPTY_LIST
      case 0x6c: { const list = new PList(); list.items.push(...popMark()); stack.push(list); break; } // LIST
      case 0x61: { const item = pop(); appendItems(top(), [item]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new PDict(false)); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const dict = new PDict(false); setItems(dict, items); stack.push(dict); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x71: need(1); memoPut(data[pos]); pos += 1; break; // BINPUT
      case 0x72: need(4); memoPut(dv.getUint32(pos, true)); pos += 4; break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x68: need(1); memoGet(data[pos]); pos += 1; break; // BINGET
      case 0x6a: need(4); memoGet(dv.getUint32(pos, true)); pos += 4; break; // LONG_BINGET
      case 0x63: { const module = readLine(); const name = readLine(); pushGlobal(module, name); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`pickle STACK_GLOBAL at byte ${opAt} with non-string operands`);
        pushGlobal(module as string, name as string);
        break;
      }
      case 0x51: stack.push(persistentStorage(pop(), storages, fail)); break; // BINPERSID
      case 0x52: { const args = pop(); const callable = pop(); stack.push(reduce(callable, args, fail)); break; } // REDUCE
      case 0x62: { // BUILD: only OrderedDict attribute state (e.g. state_dict()._metadata), kept as data and ignored
        const state = pop();
        const target = top();
        if (!(target instanceof PDict && target.ordered) || !(state === null || state instanceof PDict)) {
          fail(`pickle BUILD at byte ${opAt} sets ${describe(state)} on ${describe(target)}; only an OrderedDict's attribute dict is accepted`);
        }
        break;
      }
      default: {
        const name = OPCODE_NAMES[op] ?? 'unknown';
        fail(`pickle opcode ${name} (0x${op.toString(16).padStart(2, '0')}) at byte ${opAt} is not allowed: a state dict needs none of it. Nothing was executed.`);
      }
    }
  }
}

function isNonNegInt(v: Value): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function persistentStorage(pid: Value, storages: Map<string, StorageRef>, fail: (p: string) => never): StorageRef {
  const items = pid instanceof PTuple ? pid.items : [];
  if (items.length !== 5 || items[0] !== 'storage') fail(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel)`);
  const [, type, key, location, numel] = items;
  const cls = type instanceof PGlobal ? /^torch\.(\w+Storage)$/.exec(type.qualified)?.[1] : undefined;
  if (cls === undefined || !Object.hasOwn(STORAGE_CLASSES, cls)) fail(`persistent id storage type is ${describe(type)}, expected a torch.<T>Storage class`);
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) fail(`persistent id storage key is ${describe(key)}, expected a plain name`);
  if (typeof location !== 'string') fail(`persistent id location is ${describe(location)}, expected a string such as "cpu"`);
  if (!isNonNegInt(numel)) fail(`persistent id numel is ${describe(numel)}, expected a non-negative integer`);
  const { dtype, bytes } = STORAGE_CLASSES[cls as string];
  const ref: StorageRef = { kind: 'storage', storageClass: cls as string, dtype, elementBytes: bytes, key: key as string, location: location as string, numel: numel as number };
  const seen = storages.get(ref.key);
  if (seen && (seen.dtype !== ref.dtype || seen.numel !== ref.numel)) {
    fail(`storage "${ref.key}" is described twice, differently (${seen.storageClass}×${seen.numel} vs ${ref.storageClass}×${ref.numel})`);
  }
  storages.set(ref.key, ref);
  return ref;
}

function intTuple(v: Value, what: string, fail: (p: string) => never): number[] {
  if (!(v instanceof PTuple) || !v.items.every(isNonNegInt)) fail(`${what} is ${describe(v)}, expected a tuple of non-negative integers`);
  return [...(v as PTuple).items] as number[];
}

function emptyHooks(v: Value, fail: (p: string) => never): void {
  if (!(v instanceof PDict) || v.map.size !== 0) fail(`tensor backward hooks are ${describe(v)} with entries; expected an empty OrderedDict`);
}

/** Evaluate one of the four known callables on data arguments. */
function reduce(callable: Value, argsValue: Value, fail: (p: string) => never): Value {
  if (!(callable instanceof PGlobal) || !CALLABLES.has(callable.qualified)) {
    fail(`pickle REDUCE calls ${describe(callable)}; only ${[...CALLABLES].join(', ')} may be called`);
  }
  if (!(argsValue instanceof PTuple)) fail(`pickle REDUCE arguments are ${describe(argsValue)}, expected a tuple`);
  const args = (argsValue as PTuple).items;
  const name = (callable as PGlobal).qualified;
  if (name === 'collections.OrderedDict') {
    if (args.length !== 0) fail('collections.OrderedDict is called with arguments; only OrderedDict() is accepted');
    return new PDict(true);
  }
  if (name === 'torch._utils._rebuild_parameter') {
    if (args.length !== 3) fail(`torch._utils._rebuild_parameter takes 3 arguments, got ${args.length}`);
    const [tensor, requiresGrad, hooks] = args;
    if (!(typeof tensor === 'object' && tensor !== null && 'kind' in tensor && tensor.kind === 'tensor')) fail(`_rebuild_parameter data is ${describe(tensor)}, expected a tensor`);
    if (typeof requiresGrad !== 'boolean') fail(`_rebuild_parameter requires_grad is ${describe(requiresGrad)}`);
    emptyHooks(hooks, fail);
    return tensor;
  }
  // _rebuild_tensor(storage, offset, size, stride) and
  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).
  const v2 = name === 'torch._utils._rebuild_tensor_v2';
  const counts = v2 ? [6, 7] : [4];
  if (!counts.includes(args.length)) fail(`${name} takes ${counts.join(' or ')} arguments, got ${args.length}`);
  const [storage, offset, sizeValue, strideValue] = args;
  if (!(typeof storage === 'object' && storage !== null && 'kind' in storage && storage.kind === 'storage')) fail(`${name} storage is ${describe(storage)}, expected a persistent storage`);
  if (!isNonNegInt(offset)) fail(`${name} storage offset is ${describe(offset)}`);
  const size = intTuple(sizeValue, 'tensor size', fail);
  const stride = intTuple(strideValue, 'tensor stride', fail);
  if (size.length !== stride.length) fail(`tensor size ${JSON.stringify(size)} and stride ${JSON.stringify(stride)} differ in length`);
  if (v2) {
    if (typeof args[4] !== 'boolean') fail(`${name} requires_grad is ${describe(args[4])}`);
    emptyHooks(args[5], fail);
    if (args.length === 7 && !(args[6] === null || args[6] instanceof PDict)) fail(`${name} metadata is ${describe(args[6])}`);
  }
  return { kind: 'tensor', storage: storage as StorageRef, offset: offset as number, size, stride };
}

function toStateDict(result: Value, fail: (p: string) => never): Map<string, TensorRef> {
  if (!(result instanceof PDict)) fail(`pickle holds ${describe(result)}, expected a state dict (a dict of tensors)`);
  const out = new Map<string, TensorRef>();
  for (const [key, value] of (result as PDict).map) {
    if (typeof key !== 'string') fail(`state dict key ${key} is not a string`);
    if (!(typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'tensor')) {
      fail(`state dict entry "${key}" is ${describe(value)}, expected a tensor`);
    }
    out.set(key as string, value as TensorRef);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Storage views → float32.

/**
 * The elements of a strided view, row-major, as float32. Contiguous views are sliced; others are
 * gathered element by element. A view reaching past its storage is refused.
 */
export function gatherView(storage: Float32Array, ref: Pick<TensorRef, 'offset' | 'size' | 'stride'>, fail: (p: string) => never): Float32Array {
  const { offset, size, stride } = ref;
  const numel = size.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(numel)) fail(`tensor size ${JSON.stringify(size)} is too large`);
  if (numel === 0) return new Float32Array(0);
  const last = size.reduce((acc, s, i) => acc + (s - 1) * stride[i], offset);
  if (last >= storage.length) {
    fail(`tensor view (offset ${offset}, size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)}) reaches element ${last} of a storage of ${storage.length}`);
  }
  if (isContiguous(ref)) return storage.slice(offset, offset + numel);
  const out = new Float32Array(numel);
  const index = new Array<number>(size.length).fill(0);
  let src = offset;
  for (let n = 0; n < numel; n++) {
    out[n] = storage[src];
    // Odometer: advance the last dimension, carrying into earlier ones.
    for (let d = size.length - 1; d >= 0; d--) {
      index[d]++;
      src += stride[d];
      if (index[d] < size[d]) break;
      src -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Row-major contiguous strides (dimensions of size 1 may have any stride). */
function isContiguous({ size, stride }: Pick<TensorRef, 'size' | 'stride'>): boolean {
  for (let i = size.length - 1, expected = 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== expected) return false;
    expected *= size[i];
  }
  return true;
}

export interface ReadPytorchOptions {
  /** Names whose tensors are not read or decoded (legacy buffers); they are listed in `skipped`. */
  skip?: (name: string) => boolean;
}

/**
 * The largest data.pkl accepted. A state-dict pickle holds names, shapes and storage keys: some
 * hundred bytes per tensor, a few hundred KiB for the largest Pythia; 64 MiB leaves room for any
 * real checkpoint and refuses a pickle that inflates to gigabytes.
 */
export const MAX_PICKLE_BYTES = 64 * 2 ** 20;

/** Read `pytorch_model.bin` (torch ≥ 1.6 zip serialization) into float32 tensors. */
export function readPytorchBin(file: string, options: ReadPytorchOptions = {}): { tensors: StateDict; skipped: string[] } {
  checkZipMagic(file);
  const zip = ZipReader.open(file);
  try {
    const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pickles.length !== 1) {
      throw new InputError(file, pickles.length === 0
        ? 'no <folder>/data.pkl in the archive: not a PyTorch checkpoint'
        : `several pickles in the archive (${pickles.join(', ')}); expected one <folder>/data.pkl`);
    }
    const prefix = pickles[0].slice(0, -'data.pkl'.length);
    const byteorder = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`, { bytes: 64, what: "a byteorder entry needs" })).trim() : 'little';
    if (byteorder !== 'little') throw new InputError(file, `storages are ${byteorder}-endian; only little-endian checkpoints are supported`);

    const refs = unpickleStateDict(zip.read(pickles[0], { bytes: MAX_PICKLE_BYTES, what: 'a state-dict pickle needs' }), file, pickles[0]);
    const fail = (problem: string): never => {
      throw new InputError(file, problem);
    };
    const decoded = new Map<string, Float32Array>();
    const users = new Map<string, number>();
    for (const [name, ref] of refs) if (!options.skip?.(name)) users.set(ref.storage.key, (users.get(ref.storage.key) ?? 0) + 1);
    const tensors: StateDict = new Map();
    const skipped: string[] = [];
    for (const [name, ref] of refs) {
      if (options.skip?.(name)) {
        skipped.push(name);
        continue;
      }
      const st = ref.storage;
      if (!DECODABLE.has(st.dtype)) fail(`tensor "${name}": torch.${st.storageClass} (${st.dtype}) is not supported for weights (F32, F16 or BF16)`);
      let values = decoded.get(st.key);
      if (!values) {
        const entry = `${prefix}data/${st.key}`;
        if (!zip.entries.has(entry)) fail(`tensor "${name}": storage "${st.key}" has no entry ${entry} in the archive`);
        // The pickle says how large the storage is: an entry that declares otherwise is refused unread.
        const expected = st.numel * st.elementBytes;
        if (zip.entries.get(entry)!.size !== expected) {
          fail(`tensor "${name}": storage ${entry} declares ${zip.entries.get(entry)!.size} bytes, expected ${st.numel} × ${st.elementBytes} (torch.${st.storageClass})`);
        }
        const raw = zip.read(entry, { bytes: expected, what: `its ${st.numel} elements need` });
        if (raw.length !== expected) {
          fail(`tensor "${name}": storage ${entry} has ${raw.length} bytes, expected ${st.numel} × ${st.elementBytes} (torch.${st.storageClass})`);
        }
        values = decodeToFloat32(raw, st.dtype as SafetensorsDtype);
        decoded.set(st.key, values);
      }
      // A storage used by this tensor alone, whole and in order, is handed over without a copy.
      const whole = users.get(st.key) === 1 && ref.offset === 0 && ref.size.reduce((a, b) => a * b, 1) === values.length && isContiguous(ref);
      tensors.set(name, { shape: [...ref.size], data: whole ? values : gatherView(values, ref, (p) => fail(`tensor "${name}": ${p}`)) });
    }
    return { tensors, skipped };
  } finally {
    zip.close();
  }
}

/** A clearer message than "no end of central directory" for the pre-1.6 (non-zip) torch format. */
function checkZipMagic(file: string): void {
  const head = Buffer.alloc(4);
  let n = 0;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new InputError(file, describeFsError(err));
  }
  if (n === 0) throw new InputError(file, 'file is empty (not a PyTorch checkpoint)');
  if (n === 4 && head.readUInt32LE(0) === 0x04034b50) return;
  if (head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a) {
    throw new InputError(file, 'legacy PyTorch serialization (torch < 1.6, not a zip archive) is not supported; re-save it with a newer torch or convert it to safetensors');
  }
  throw new InputError(file, 'not a zip archive: expected the PyTorch ≥ 1.6 format that torch.save writes');
}
