/**
 * The dispatcher (lib/cli/main.ts): its command table agrees with the command files, and
 * `cntlens --help` stays fast because the entry point's static imports reach no package (the
 * command modules, TensorFlow.js among their imports, load only when a command runs).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS, loadCommand } from '../../lib/cli/main.js';
import { REPO_ROOT } from './bin.js';

/** Specifiers of a module's static imports and re-exports (not `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2]);
}

/** Every module a file loads before running, following relative imports (.js names → .ts sources). */
function staticClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => path.relative(REPO_ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('cli: the dispatcher', () => {
  it('lists every command file, with the summary each command gives itself', async () => {
    const files = readdirSync(path.join(REPO_ROOT, 'lib', 'cli', 'commands')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
    expect(COMMANDS.map((c) => c.name)).to.deep.equal(files);
    for (const entry of COMMANDS) {
      const command = await loadCommand(entry.name);
      expect(command?.summary, entry.name).to.equal(entry.summary);
    }
    expect(await loadCommand('nope')).to.equal(null);
  });

  it('`cntlens --help` loads only the dispatcher: no package, no command module', () => {
    const { files, packages } = staticClosure(path.join(REPO_ROOT, 'bin', 'cntlens.ts'));
    expect(files).to.deep.equal(['bin/cntlens.ts', 'lib/cli/main.ts', 'lib/util/errors.ts']);
    expect(packages.filter((p) => !p.startsWith('node:'))).to.deep.equal([]);
  });
});
