import { constants } from 'node:buffer';
import { accessSync, closeSync, constants as fsConstants, fstatSync, lstatSync, mkdirSync, openSync, promises as fs, readSync, statfsSync, statSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError, OptionError } from './errors.js';

/**
 * The largest text file read whole: V8's longest string (a bigger file would fail with "Cannot
 * create a string longer than …"), and a bound on what a device such as /dev/zero can make cntlens
 * read.
 */
export const MAX_TEXT_BYTES = Math.min(constants.MAX_STRING_LENGTH, 512 * 2 ** 20);

/** Read a UTF-8 text file; a failure (or a file over MAX_TEXT_BYTES) is an InputError naming the file. */
export function readTextFile(file: string, limit = MAX_TEXT_BYTES): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(file, describeFsError(err));
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new InputError(file, describeFsError({ code: 'EISDIR' }));
    if (stat.isFile() && stat.size > limit) throw new InputError(file, `is ${formatBytes(stat.size)}, more than the ${formatBytes(limit)} a text input may have`);
    // Read in chunks up to the limit (a device or a pipe has no size to check first).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) throw new InputError(file, `holds more than the ${formatBytes(limit)} a text input may have`);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, describeFsError(err));
  } finally {
    closeSync(fd);
  }
}

/** A byte count for messages: 1.5 GiB, 512 MiB, 300 B. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Read and parse a JSON file; every failure names the file. */
export function readJsonFile(file: string): unknown {
  const text = readTextFile(file);
  if (text.trim() === '') throw new InputError(file, 'file is empty, expected JSON');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(file, `not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The output-path policy every command follows. cntlens writes regular files only, each as a
 * temporary sibling renamed over the target, so it must never be pointed at anything a rename
 * would destroy: a device (`--out /dev/full` once turned /dev/full into a JSON file, as root), a
 * FIFO, a socket, a symbolic link (the link would be replaced, not its target) or a folder. Every
 * output path is checked before any work (checkOutputFile / checkOutputFolder), and again when
 * written, and the folders on the way are made one at a time (ensureFolder): node's recursive
 * mkdir spins forever on a path it cannot create inside an existing folder (e.g. under /proc).
 */

/** What a path is, for messages: "a character device", "a folder", … (null: a regular file). */
function specialKind(stat: Stats): string | null {
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return 'a folder';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * Kernel pseudo file systems (statfs f_type, linux/magic.h): nothing cntlens writes belongs there,
 * and some accept neither a file nor a folder in a way that fails cleanly.
 */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x73636673, 'securityfs'], [0x74726163, 'tracefs'], [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'], [0x6165676c, 'pstore'], [0xde5e81e4, 'efivarfs'], [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'], [0x19800202, 'mqueue'], [0x6e736673, 'nsfs'],
]);

function pseudoFileSystem(dir: string): string | null {
  try {
    return PSEUDO_FILE_SYSTEMS.get(Number(statfsSync(dir).type)) ?? null;
  } catch {
    return null;
  }
}

/**
 * Why the folders above `target` (absolute) cannot hold it, or null: every existing ancestor must
 * be a folder (a symbolic link to one is fine, a broken one is not), the deepest existing one
 * writable and not in a kernel pseudo file system. Nothing is created.
 */
function ancestorsProblem(target: string): string | null {
  const root = path.parse(target).root;
  const parts = path.relative(root, path.dirname(target)).split(path.sep).filter(Boolean);
  let deepest = root;
  for (const part of parts) {
    const next = path.join(deepest, part);
    let stat: Stats | null;
    try {
      stat = lstatOrNull(next);
    } catch (err) {
      return `cannot look into ${next}: ${describeFsError(err)}`;
    }
    if (stat === null) break; // the rest is to be created
    if (stat.isSymbolicLink()) {
      let resolved: Stats;
      try {
        resolved = statSync(next);
      } catch {
        return `${next} is a broken symbolic link, not a folder`;
      }
      if (!resolved.isDirectory()) return `${next} is a symbolic link to ${specialKind(resolved) ?? 'a file'}, not a folder`;
    } else if (!stat.isDirectory()) {
      return `${next} is ${specialKind(stat) ?? 'a file'}, not a folder`;
    }
    deepest = next;
  }
  const pseudo = pseudoFileSystem(deepest);
  if (pseudo) return `${deepest} is in the kernel's ${pseudo} file system, where cntlens writes nothing`;
  try {
    accessSync(deepest, fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    return `cannot write into ${deepest}: ${describeFsError(err)}`;
  }
  return null;
}

/** Why `file` cannot be written as an output file, or null (see the policy above). Creates nothing. */
export function outputFileProblem(file: string): string | null {
  const target = path.resolve(file);
  if (target === path.parse(target).root) return 'is the root folder, expected a file name';
  let stat: Stats | null;
  try {
    stat = lstatOrNull(target);
  } catch (err) {
    return `cannot be checked: ${describeFsError(err)}`;
  }
  if (stat !== null) {
    const kind = specialKind(stat);
    if (kind === 'a folder') return 'is a folder, expected a file name';
    if (kind !== null) return `is ${kind}, not a regular file: cntlens only writes regular files and never replaces anything else`;
  }
  return ancestorsProblem(target);
}

/** Refuse an output file path before any work: an OptionError naming the option and the path. */
export function checkOutputFile(file: string, option: string): void {
  const problem = outputFileProblem(file);
  if (problem) throw new OptionError(option, `${file} ${problem.startsWith('is ') || problem.startsWith('cannot be') ? problem : `cannot be written: ${problem}`}`);
}

/** Refuse several output files at once, and the same file given twice. */
export function checkOutputFiles(files: readonly { file: string; option: string }[]): void {
  const seen = new Map<string, string>();
  for (const { file, option } of files) {
    checkOutputFile(file, option);
    const key = path.resolve(file);
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new OptionError(option, `${file} is also the output of ${earlier}: give each output its own file`);
    seen.set(key, option);
  }
}

/**
 * Why `dir` cannot be an output folder, or null: an existing one must be a folder (or a symbolic
 * link to one); a new one must be creatable (its ancestors checked as for a file). `files` (names
 * relative to `dir`) are checked as output files too, so a FIFO planted as `dir/metrics.csv`
 * stops the run before it starts rather than at its end.
 */
export function outputFolderProblem(dir: string, files: readonly string[] = []): string | null {
  const target = path.resolve(dir);
  let stat: Stats | null;
  try {
    stat = lstatOrNull(target);
  } catch (err) {
    return `cannot be checked: ${describeFsError(err)}`;
  }
  if (stat === null) return target === path.parse(target).root ? null : ancestorsProblem(target);
  let resolved = stat;
  if (stat.isSymbolicLink()) {
    try {
      resolved = statSync(target);
    } catch {
      return 'is a broken symbolic link, expected a folder';
    }
  }
  if (!resolved.isDirectory()) return `is ${specialKind(resolved) ?? 'a file'}, expected a folder`;
  const pseudo = pseudoFileSystem(target);
  if (pseudo) return `is in the kernel's ${pseudo} file system, where cntlens writes nothing`;
  try {
    accessSync(target, fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    return `cannot be written into: ${describeFsError(err)}`;
  }
  for (const name of files) {
    const problem = outputFileProblem(path.join(target, name));
    if (problem) return `holds ${name}, which ${problem}`;
  }
  return null;
}

/** Refuse an output folder before any work (see outputFolderProblem). */
export function checkOutputFolder(dir: string, option: string, files: readonly string[] = []): void {
  const problem = outputFolderProblem(dir, files);
  if (problem) throw new OptionError(option, `${dir} ${problem.startsWith('is ') || problem.startsWith('holds ') || problem.startsWith('cannot be') ? problem : `cannot be used: ${problem}`}`);
}

/**
 * Make a folder and its missing parents, one at a time: each step either succeeds or fails with
 * an InputError naming the folder (never a loop; see the policy above). An existing folder, or a
 * symbolic link to one, is fine.
 */
export function ensureFolderSync(dir: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let p = target; ; p = path.dirname(p)) {
    const stat = lstatOrNull(p);
    if (stat !== null) {
      let resolved = stat;
      if (stat.isSymbolicLink()) {
        try {
          resolved = statSync(p);
        } catch {
          throw new InputError(p, 'is a broken symbolic link, expected a folder');
        }
      }
      if (!resolved.isDirectory()) throw new InputError(p, `is ${specialKind(resolved) ?? 'a file'}, expected a folder`);
      break;
    }
    if (p === path.dirname(p)) break;
    missing.push(p);
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p).isDirectory()) continue; // made meanwhile
      throw new InputError(p, `cannot create the folder: ${describeFsError(err)}`);
    }
  }
}

export async function ensureFolder(dir: string): Promise<void> {
  ensureFolderSync(dir);
}

/**
 * Write a file atomically: write a temporary sibling, flush it, then rename over the target, so a
 * reader (or a rerun after a crash) sees either the old file or the complete new one, never half.
 * The target must be a regular file or absent (outputFileProblem): anything else is refused, not
 * replaced. The temporary file is created exclusively and removed on every failure.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomicWith(file, async (write) => write(data));
}

/**
 * writeFileAtomic for output produced in pieces (so that it is never held whole): `produce` calls
 * `write` for each piece, in order; the file appears under its name only once all are written.
 */
export async function writeFileAtomicWith(file: string, produce: (write: (chunk: string | Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  const problem = outputFileProblem(file);
  if (problem) throw new InputError(file, problem.startsWith('is ') ? `refused: ${file} ${problem}` : `cannot be written: ${problem}`);
  ensureFolderSync(path.dirname(path.resolve(file)));
  const tmp = temporarySibling(file);
  let handle: FileHandle;
  try {
    handle = await fs.open(tmp, 'wx');
  } catch (err) {
    throw new InputError(file, `cannot write: ${describeFsError(err)}`);
  }
  try {
    try {
      await produce(async (chunk) => {
        await handle.writeFile(chunk);
      });
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Checked again just before the rename: something may have been put there meanwhile.
    const late = outputFileProblem(file);
    if (late) throw new InputError(file, `refused: ${file} ${late}`);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (err instanceof InputError) throw err;
    if (typeof (err as NodeJS.ErrnoException)?.code === 'string') throw new InputError(file, `cannot write: ${describeFsError(err)}`);
    throw err;
  }
}

/** writeFileAtomic's temporary sibling of a file: `<file>.tmp-<pid>-<random>` (TEMPORARY_FILE). */
export function temporarySibling(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** The names temporarySibling makes. */
export const TEMPORARY_FILE = /\.tmp-\d+-[0-9a-z]+$/;

/** A one-line reason for a failed file-system call (ENOENT → "no such file", …). */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return 'not a directory';
    case 'ENOSPC': return 'no space left on the device';
    case 'EROFS': return 'read-only file system';
    case 'EEXIST': return 'already exists';
    default: return (err as Error)?.message ?? String(err);
  }
}
