/**
 * More helpers for the experiment acceptance tests (resume, sources, config, results): running the
 * CLI as a child process with a clean environment, polling, file identities, and an independent
 * hub-cache builder. The checkpoint series and the folder comparison are in helpers.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI_ARGS, REPO_ROOT } from './helpers.js';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment variables a developer may have set that would change what the CLI does. */
const SCRUBBED = ['CNTLENS_BACKEND', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_ENDPOINT', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'HF_HUB_OFFLINE'];

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of SCRUBBED) delete env[key];
  return { ...env, ...extra };
}

/** `cntlens …` to completion (asynchronously, so a loopback server here keeps serving). */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI_ARGS, ...args],
      { cwd: options.cwd ?? REPO_ROOT, env: cliEnv(options.env), timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The CLI in its own process group (so `killGroup` reaches everything it started). */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO_ROOT, env: cliEnv(env), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** SIGKILL the child's whole process group and wait until the child is gone; returns its signal. */
export function killGroup(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.signalCode);
    child.once('exit', (_code, signal) => resolve(signal));
    process.kill(-child.pid!, 'SIGKILL');
  });
}

/** Poll `condition` every `intervalMs` until it holds; fails after `timeoutMs` or when `abort` says why. */
export async function waitFor(condition: () => boolean, what: string, options: { timeoutMs?: number; intervalMs?: number; abort?: () => string | null } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  while (!condition()) {
    const reason = options.abort?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

/** What tells a rewritten file from an untouched one: inode, modification time and content hash. */
export function fileIdentity(file: string): { ino: number; mtimeNs: bigint; sha256: string } {
  const st = statSync(file, { bigint: true });
  return { ino: Number(st.ino), mtimeNs: st.mtimeNs, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/**
 * The checkpoint content hash as documented for `checkpointHash` (lib/model/checkpoint.ts),
 * computed here independently: SHA-256 over `<base name>\n<byte length>\n<bytes>` of config.json
 * then the weights file.
 */
export function expectedCheckpointHash(dir: string, weights = 'model.safetensors'): string {
  const hash = createHash('sha256');
  for (const name of ['config.json', weights]) {
    const bytes = readFileSync(path.join(dir, name));
    hash.update(`${name}\n${bytes.length}\n`).update(bytes);
  }
  return hash.digest('hex');
}

/**
 * Lay checkpoint folders out as the Hugging Face hub cache does (huggingface_hub file_download.py):
 * `models--<org>--<name>/blobs/<sha256>`, `snapshots/<commit>/<file>` → `../../blobs/<sha256>`,
 * `refs/<revision>` holding the commit. Written here by hand, not with lib/hub, so the reader is
 * tested against the layout itself. `main` points at the last revision, as on the hub. Returns the
 * commits by revision.
 */
export function buildHubCache(cacheDir: string, repo: string, checkpoints: { revision: string; dir: string }[]): Map<string, string> {
  const repoDir = path.join(cacheDir, `models--${repo.split('/').join('--')}`);
  const commits = new Map<string, string>();
  for (const { revision, dir } of checkpoints) {
    const commit = createHash('sha1').update(`test commit ${repo} ${revision}`).digest('hex');
    commits.set(revision, commit);
    const snapshot = path.join(repoDir, 'snapshots', commit);
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
    for (const file of ['config.json', 'model.safetensors']) {
      const bytes = readFileSync(path.join(dir, file));
      const blob = createHash('sha256').update(bytes).digest('hex');
      const blobFile = path.join(repoDir, 'blobs', blob);
      if (!existsSync(blobFile)) writeFileSync(blobFile, bytes);
      symlinkSync(`../../blobs/${blob}`, path.join(snapshot, file));
    }
    mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    writeFileSync(path.join(repoDir, 'refs', revision), commit);
  }
  const last = checkpoints[checkpoints.length - 1];
  writeFileSync(path.join(repoDir, 'refs', 'main'), commits.get(last.revision)!);
  return commits;
}

/** Parse a CSV written by lib/util/csv.ts's conventions (no quoted fields in our files). */
export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const [head, ...rest] = lines;
  return { header: head.split(','), rows: rest.map((l) => l.split(',')) };
}
