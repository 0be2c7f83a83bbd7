/**
 * Where cntlens itself is installed. This module runs from lib/util/ in a clone (through tsx) and
 * from dist/lib/util/ as published, so paths are found by looking, not by counting `..`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The folder holding cntlens's package.json: the nearest one above this module. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'cntlens') return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cntlens: no package.json named "cntlens" above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** cntlens's version (package.json), as recorded in manifests and settings hashes. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A module beside the caller, named as it is published: `siblingModule(new URL('./x.js',
 * import.meta.url))`. The compiled x.js is used where it exists (dist/, and what bundlers see);
 * run from the TypeScript sources (tests, `node --import tsx`), where there is no x.js, the x.ts
 * beside it stands in.
 */
export function siblingModule(url: URL): string {
  const file = fileURLToPath(url);
  if (existsSync(file) || !file.endsWith('.js')) return file;
  const source = `${file.slice(0, -3)}.ts`;
  return existsSync(source) ? source : file;
}
