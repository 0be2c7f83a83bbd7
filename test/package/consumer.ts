/**
 * A user's project with cntlens installed from the packed tarball, built without the network:
 * `npm pack` of this checkout, then `npm ci --offline` in a temporary project whose lockfile pins
 * cntlens's dependencies to the versions of this checkout's package-lock.json. npm keeps the
 * tarballs of `npm ci`/`npm install` in its cache, but not the registry metadata that a plain
 * `npm install cntlens.tgz` would need to resolve version ranges; with every version pinned,
 * nothing needs resolving, and the dependencies are exactly those the tests ran with.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../cli/bin.js';

export interface RunResult { status: number | null; stdout: string; stderr: string }

/** Run a command to completion; the environment loses NODE_OPTIONS, so tsx cannot slip in. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions & { cwd: string }): RunResult {
  const env = { ...process.env, ...options.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024, ...options, env });
  if (r.error) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Run a command that must succeed; the failure message carries its output. */
export function runOk(command: string, args: readonly string[], options: SpawnSyncOptions & { cwd: string }): RunResult {
  const r = run(command, args, options);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

export interface Packed {
  /** The tarball's file name, in the destination folder. */
  file: string;
  /** Paths of the files in the tarball. */
  files: string[];
}

/** Build this checkout's dist/ (incrementally: seconds when it is up to date, as after `npm test`'s build). */
export function buildCheckout(): void {
  runOk('npm', ['run', 'build'], { cwd: REPO_ROOT });
}

/** Build dist/ and pack this checkout into `dest`, as `npm publish` would. */
export function packCheckout(dest: string): Packed {
  buildCheckout();
  // --ignore-scripts: `prepare` would only build again.
  const r = runOk('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: REPO_ROOT });
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return { file: info.filename, files: info.files.map((f) => f.path).sort() };
}

interface LockEntry { version: string; dev?: boolean; [key: string]: unknown }

/**
 * Write package.json and package-lock.json of a project depending on the tarball `tarball` (in
 * `dir`), with `devPackages` of this checkout (e.g. typescript) as its development dependencies.
 */
export function writeConsumerProject(dir: string, tarball: string, devPackages: readonly string[]): void {
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(path.join(dir, tarball))).digest('base64')}`;
  const devDependencies = Object.fromEntries(devPackages.map((name) => [name, lockEntry(lock.packages, name).version]));
  const packages: Record<string, unknown> = {
    '': { name: 'cntlens-consumer', dependencies: { cntlens: spec }, devDependencies },
    'node_modules/cntlens': {
      version: pkg.version, resolved: spec, integrity, license: pkg.license,
      dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies, bin: pkg.bin, engines: pkg.engines,
    },
  };
  // cntlens's dependency tree as installed here: every entry that is not only a development one.
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  for (const name of devPackages) packages[`node_modules/${name}`] ??= lockEntry(lock.packages, name);
  const manifest = { name: 'cntlens-consumer', private: true, type: 'module', dependencies: { cntlens: spec }, devDependencies };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'cntlens-consumer', lockfileVersion: 3, requires: true, packages }, null, 2) + '\n');
}

function lockEntry(packages: Record<string, LockEntry>, name: string): LockEntry {
  const entry = packages[`node_modules/${name}`];
  if (!entry) throw new Error(`package-lock.json has no node_modules/${name}`);
  return entry;
}

/**
 * `npm ci` from npm's cache. Should the cache lack a tarball (another cache than the one this
 * checkout was installed with), npm may fetch it: the registry is then needed, as for any install.
 */
export function installConsumer(dir: string): RunResult {
  const offline = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir });
  if (offline.status === 0 || !/ENOTCACHED/.test(offline.stderr)) return offline;
  return run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir });
}
