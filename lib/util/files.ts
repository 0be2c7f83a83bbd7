import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.js';

/** Read a UTF-8 text file; a failure is an InputError naming the file. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(file, describeFsError(err));
  }
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
 * Write a file atomically: write a temporary sibling, flush it, then rename over the target, so a
 * reader (or a rerun after a crash) sees either the old file or the complete new one, never half.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

/** A one-line reason for a failed file-system call (ENOENT → "no such file", …). */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return 'not a directory';
    default: return (err as Error)?.message ?? String(err);
  }
}
