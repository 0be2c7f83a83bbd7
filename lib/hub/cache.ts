/**
 * The Hugging Face hub cache layout, exactly as huggingface_hub's Python `hf_hub_download` writes it
 * (huggingface_hub `file_download.py`; "Manage huggingface_hub cache-system" in its docs):
 *
 *   <cache>/models--<org>--<name>/
 *     blobs/<etag>                     file contents; etag = sha256 for LFS files, git blob sha1 otherwise
 *     blobs/<etag>.incomplete          a download in progress (appended to on resume)
 *     snapshots/<commit>/<file>        relative symlink → ../../blobs/<etag>
 *     refs/<revision>                  the commit hash a branch/tag resolved to (no newline)
 *     .no_exist/<commit>/<file>        empty marker: the file does not exist at that commit
 *
 * so a cache filled here is read by transformers / huggingface_hub and the other way round.
 * Cache folder and repo folder names come from @huggingface/hub (`getHFHubCachePath`: HF_HUB_CACHE,
 * else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 * ~/.cache/huggingface/hub; `getRepoFolderName`).
 */
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';
import { ensureFolderSync, writeFileAtomic } from '../util/files.js';
import { OptionError } from '../util/errors.js';

/** A full git commit hash, as huggingface_hub's REGEX_COMMIT_HASH. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** The hub cache folder from the environment (see the module comment), with `~` expanded. */
export function defaultHubCacheDir(): string {
  return expandHome(getHFHubCachePath());
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Check a model repo id (`org/name`, or a bare legacy `name`). */
export function checkRepoId(repo: string, option = '--model'): string {
  if (!/^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/.test(repo) || repo.includes('..')) {
    throw new OptionError(option, `"${repo}" is not a model id (expected org/name, e.g. EleutherAI/pythia-14m)`);
  }
  return repo;
}

/** `<cache>/models--org--name`. */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return path.join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export function blobPath(repoDir: string, etag: string): string {
  return path.join(repoDir, 'blobs', etag);
}

export function snapshotDir(repoDir: string, commit: string): string {
  return path.join(repoDir, 'snapshots', commit);
}

/** `snapshots/<commit>/<file>`; repo paths use `/` whatever the platform. */
export function pointerPath(repoDir: string, commit: string, file: string): string {
  return path.join(snapshotDir(repoDir, commit), ...file.split('/'));
}

export function refPath(repoDir: string, revision: string): string {
  return path.join(repoDir, 'refs', ...revision.split('/'));
}

export function noExistPath(repoDir: string, commit: string, file: string): string {
  return path.join(repoDir, '.no_exist', commit, ...file.split('/'));
}

/**
 * An ETag header as a blob file name: quotes and a weak `W/` prefix dropped (huggingface_hub's
 * `_normalize_etag`). Anything that is not a plain file name is refused, since it becomes a path.
 */
export function normalizeEtag(raw: string): string {
  const etag = raw.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(etag) || etag.includes('..')) {
    throw new Error(`unusable ETag ${JSON.stringify(raw)}`);
  }
  return etag;
}

/**
 * Refuse repo file paths that would escape the snapshot folder (absolute, drive, UNC, `..`), as
 * huggingface_hub's `_validate_relative_filename` does: file names come from the server.
 */
export function checkRepoPath(file: string): string {
  const parts = file.replace(/\\/g, '/').split('/');
  const bad =
    file === '' ||
    parts.includes('..') ||
    parts.includes('') ||
    [file, ...parts].some((p) => p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p));
  if (bad) throw new Error(`unsafe file path in repository: ${JSON.stringify(file)}`);
  return file;
}

/** Refuse revision names that cannot be a refs/ file name. */
export function checkRevisionName(revision: string, option = '--revisions'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(revision) || revision.split('/').some((p) => p === '' || p === '..' || p === '.')) {
    throw new OptionError(option, `"${revision}" is not a revision name`);
  }
  return revision;
}

/** The commit a cached ref holds, or undefined when the ref is not cached. */
export function readRef(repoDir: string, revision: string): string | undefined {
  const file = refPath(repoDir, revision);
  if (!existsSync(file) || !statSync(file).isFile()) return undefined;
  return readFileSync(file, 'utf8').trim();
}

/** Record revision → commit, only when it changed (huggingface_hub `_cache_commit_hash_for_specific_revision`). */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  if (readRef(repoDir, revision) === commit) return;
  await writeFileAtomic(refPath(repoDir, revision), commit);
}

/** Whether a snapshot entry exists and resolves to a file (a dangling symlink does not count). */
export function pointerResolves(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Point snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (`../../blobs/<etag>` for
 * a top-level file), replacing whatever was there. Where symlinks are not allowed (Windows without
 * developer mode) the blob is copied instead, as huggingface_hub does.
 */
export async function linkPointer(repoDir: string, commit: string, file: string, etag: string): Promise<string> {
  const pointer = pointerPath(repoDir, commit, file);
  const blob = blobPath(repoDir, etag);
  ensureFolderSync(path.dirname(pointer));
  await fs.rm(pointer, { force: true });
  try {
    await fs.symlink(path.relative(path.dirname(pointer), blob), pointer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOSYS') throw err;
    await fs.copyFile(blob, pointer);
  }
  return pointer;
}

/** Mark a file as absent at a commit, as huggingface_hub does after an EntryNotFound answer. */
export async function markNoExist(repoDir: string, commit: string, file: string): Promise<void> {
  const marker = noExistPath(repoDir, commit, file);
  await writeFileAtomic(marker, '');
}

export function isMarkedNoExist(repoDir: string, commit: string, file: string): boolean {
  return existsSync(noExistPath(repoDir, commit, file));
}
