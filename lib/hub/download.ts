/**
 * One file from the hub into the cache, the way huggingface_hub's `hf_hub_download` does it
 * (file_download.py: `get_hf_file_metadata`, `http_get`):
 *
 * 1. HEAD `{endpoint}/{repo}/resolve/{revision}/{file}` without following redirects to another host
 *    (relative ones, from renamed repos, are followed). The answer names the commit (`X-Repo-Commit`),
 *    the content's ETag (`X-Linked-Etag` for LFS files — their sha256 —, else `ETag` — the git blob
 *    sha1), the size (`X-Linked-Size`, else `Content-Length`) and, for LFS files, a redirect to
 *    the CDN. A 404 with `X-Error-Code: EntryNotFound` means the file is not in that revision.
 * 2. GET the content into `blobs/<etag>.incomplete`, appending from where an earlier attempt stopped
 *    (`Range: bytes=<have>-`, answered by 206 + Content-Range), retrying with backoff.
 * 3. Check the size and the content: for LFS files the sha256 the hub reported, for the others
 *    the git blob id (sha1 of `blob <size>\0<content>`); then rename to `blobs/<etag>`. A mismatch
 *    deletes the partial file and downloads once more from scratch before giving up.
 *
 * Bounded against a hostile or broken server: the free disk space is checked against the size
 * the hub announces before a byte is written, a body longer than announced is cut off, and a
 * transfer slower than the rate floor (HubConnection.minBytesPerSecond) is aborted and retried
 * like a dropped one (the idle timeout alone never trips on a body dripping a byte a second).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { ensureFolderSync, formatBytes } from '../util/files.js';
import { freeDiskBytes } from '../util/resources.js';
import { COMMIT_HASH, blobPath, checkRepoPath, normalizeEtag } from './cache.js';
import { HubError, errorForResponse, requestHeaders, withRetries, type HubConnection, type RetryEvent } from './http.js';

export interface FileMetadata {
  file: string;
  /** The commit the revision resolved to (X-Repo-Commit). */
  commit: string;
  /** Normalized ETag: the blob's file name. sha256 for LFS files, git blob sha1 otherwise. */
  etag: string;
  /** Bytes, when the hub said. */
  size?: number;
  /** Where to GET the content (the CDN for LFS files). */
  location: string;
  /** Stored with LFS: the etag is the content's sha256 and is verified. */
  lfs: boolean;
}

export type MetadataResult = { found: true; meta: FileMetadata } | { found: false; commit?: string };

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_RELATIVE_REDIRECTS = 5;

/** `{endpoint}/{repo}/resolve/{revision}/{file}`, quoted as huggingface_hub's `hf_hub_url`. */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Step 1 of the module comment. Retries network errors and 5xx/429. */
export async function fetchFileMetadata(conn: HubConnection, repo: string, revision: string, file: string, onRetry?: (e: RetryEvent) => void): Promise<MetadataResult> {
  checkRepoPath(file);
  const what = `${repo}@${revision}: ${file}`;
  let url = resolveUrl(conn.endpoint, repo, revision, file);
  for (let hop = 0; ; hop++) {
    const res = await withRetries(what, conn.retry, async () => {
      const r = await conn.fetch(url, {
        method: 'HEAD',
        redirect: 'manual',
        headers: requestHeaders(conn, url, { 'accept-encoding': 'identity' }),
        signal: AbortSignal.timeout(conn.idleTimeoutMs),
      });
      if (r.status === 429 || r.status >= 500) throw errorForResponse(r, what);
      return r;
    }, onRetry);
    const location = res.headers.get('location');
    const isRedirect = res.status >= 300 && res.status < 400 && location !== null;
    if (isRedirect && isRelativeUrl(location) && hop < MAX_RELATIVE_REDIRECTS) {
      url = new URL(location, url).href; // renamed repository: same host, new path
      continue;
    }
    if (res.status === 404 && res.headers.get('x-error-code') === 'EntryNotFound') {
      const commit = res.headers.get('x-repo-commit') ?? undefined;
      return { found: false, commit: commit && COMMIT_HASH.test(commit) ? commit : undefined };
    }
    if (!res.ok && !isRedirect) throw errorForResponse(res, what);
    return { found: true, meta: readMetadata(res, url, what, file, conn, repo, isRedirect ? new URL(location!, url).href : undefined) };
  }
}

function readMetadata(res: Response, url: string, what: string, file: string, conn: HubConnection, repo: string, redirect: string | undefined): FileMetadata {
  const commit = res.headers.get('x-repo-commit');
  if (!commit || !COMMIT_HASH.test(commit)) {
    throw new HubError(`${what}: the server at ${new URL(url).origin} did not name a commit (X-Repo-Commit); is HF_ENDPOINT a Hugging Face hub?`);
  }
  const linked = res.headers.get('x-linked-etag');
  const rawEtag = linked ?? res.headers.get('etag');
  if (!rawEtag) throw new HubError(`${what}: the hub sent no ETag, so the file cannot be cached reproducibly`);
  let etag: string;
  try {
    etag = normalizeEtag(rawEtag);
  } catch (err) {
    throw new HubError(`${what}: ${(err as Error).message}`);
  }
  const sizeText = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
  const size = sizeText !== null && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
  const lfs = linked !== null || SHA256_HEX.test(etag);
  // Without a redirect, download by commit so every file of a revision comes from the same commit.
  const location = redirect ?? resolveUrl(conn.endpoint, repo, commit, file);
  return { file, commit, etag, size, location, lfs };
}

function isRelativeUrl(location: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(location) && !location.startsWith('//');
}

export interface BlobResult {
  blob: string;
  /** Bytes transferred now (0 when the blob was already cached). */
  downloaded: number;
  /** Offset each answered GET started at: [0] for a plain download, [n] when a partial file from an earlier run was resumed, [0, n] after a dropped connection. Empty when cached. */
  starts: number[];
  cached: boolean;
}

/** Steps 2 and 3 of the module comment. `onBytes` is called as data arrives. */
export async function downloadBlob(
  conn: HubConnection,
  repoDir: string,
  meta: FileMetadata,
  onBytes?: (have: number, total: number | undefined) => void,
  onRetry?: (e: RetryEvent) => void,
): Promise<BlobResult> {
  const blob = blobPath(repoDir, meta.etag);
  if (existsSync(blob) && (meta.size === undefined || statSync(blob).size === meta.size)) {
    return { blob, downloaded: 0, starts: [], cached: true };
  }
  ensureFolderSync(path.dirname(blob));
  const incomplete = `${blob}.incomplete`;
  const what = `${meta.file} (${meta.etag.slice(0, 12)}…)`;
  let downloaded = 0;
  const starts: number[] = [];
  for (let pass = 0; ; pass++) {
    await withRetries(what, conn.retry, async () => {
      const got = await transferOnce(conn, meta, incomplete, what, onBytes, (start) => starts.push(start));
      downloaded += got.bytes;
    }, onRetry);
    const problem = await verify(incomplete, meta);
    if (problem === undefined) break;
    await fs.rm(incomplete, { force: true });
    if (pass >= 1) throw new HubError(`${meta.file} at commit ${meta.commit}: refused: ${problem}; the partial download was deleted`);
    onRetry?.({ what, attempt: 0, delayMs: 0, error: new Error(`${problem}; downloading again from the start`) });
  }
  await fs.rename(incomplete, blob);
  return { blob, downloaded, starts, cached: false };
}

/** One GET into the .incomplete file, appending to what is there. Returns where it started and the bytes written. */
async function transferOnce(
  conn: HubConnection,
  meta: FileMetadata,
  incomplete: string,
  what: string,
  onBytes: ((have: number, total: number | undefined) => void) | undefined,
  onRequest: (start: number) => void,
): Promise<{ start: number; bytes: number }> {
  let start = existsSync(incomplete) ? statSync(incomplete).size : 0;
  if (meta.size !== undefined && start > meta.size) {
    await fs.rm(incomplete, { force: true });
    start = 0;
  }
  if (meta.size !== undefined && start === meta.size) return { start, bytes: 0 };
  roomFor(incomplete, meta, start, what); // no request at all when the disk cannot take the file
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), conn.idleTimeoutMs);
  const extra: Record<string, string> = { 'accept-encoding': 'identity' };
  if (start > 0) extra.range = `bytes=${start}-`;
  try {
    const res = await conn.fetch(meta.location, { headers: requestHeaders(conn, meta.location, extra), signal: controller.signal });
    if (res.status === 416) {
      // Our partial file does not fit the server's file: start over.
      await res.body?.cancel();
      await fs.rm(incomplete, { force: true });
      throw new HubError(`${what}: server refused to resume (HTTP 416); restarting`, { status: 416, retryable: true });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw errorForResponse(res, what);
    }
    if (start > 0 && res.status === 206) {
      const range = parseContentRange(res.headers.get('content-range'));
      if (!range || range.start !== start || (meta.size !== undefined && range.total !== undefined && range.total !== meta.size)) {
        await res.body?.cancel();
        await fs.rm(incomplete, { force: true });
        throw new HubError(`${what}: server resumed at the wrong place (${res.headers.get('content-range')}); restarting`, { retryable: true });
      }
    } else if (start > 0) {
      start = 0; // 200: the server sent the whole file, ignoring Range
    }
      onRequest(start);
    let room: number;
    try {
      room = roomFor(incomplete, meta, start, what);
    } catch (err) {
      await res.body?.cancel();
      throw err;
    }
    const handle = await fs.open(incomplete, start > 0 ? 'a' : 'w');
    let bytes = 0;
    // The rate floor: every window must bring its share of bytes, or the transfer is aborted.
    let windowStart = 0;
    let slow = false;
    const floor = (conn.minBytesPerSecond * conn.rateWindowMs) / 1000;
    const rate = setInterval(() => {
      if (bytes - windowStart < floor) {
        slow = true;
        controller.abort();
      }
      windowStart = bytes;
    }, conn.rateWindowMs);
    try {
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          clearTimeout(timer);
          timer = setTimeout(() => controller.abort(), conn.idleTimeoutMs);
          if (bytes + chunk.byteLength > room) {
            controller.abort();
            await handle.close().catch(() => undefined);
            await fs.rm(incomplete, { force: true });
            throw new HubError(meta.size !== undefined
              ? `${what}: the server sent more than the ${meta.size} bytes the hub announced; the partial download was deleted`
              : `${what}: the download (of no announced size) outgrew the free disk space; the partial download was deleted`);
          }
          await handle.write(chunk);
          bytes += chunk.byteLength;
          onBytes?.(start + bytes, meta.size);
        }
      }
      await handle.sync();
    } catch (err) {
      if (slow) throw new HubError(`${what}: transfer slower than ${conn.minBytesPerSecond} bytes/s over ${conn.rateWindowMs / 1000} s (${bytes} bytes so far); aborted`, { retryable: true });
      throw err;
    } finally {
      clearInterval(rate);
      await handle.close().catch(() => undefined);
    }
    const have = start + bytes;
    if (meta.size !== undefined && have < meta.size) {
      throw new HubError(`${what}: transfer ended early (${have} of ${meta.size} bytes)`, { retryable: true });
    }
    return { start, bytes };
  } finally {
    clearTimeout(timer);
  }
}

/** Room left for this transfer: the announced size less what is there, else what the disk holds. */
function roomFor(incomplete: string, meta: FileMetadata, start: number, what: string): number {
  const free = freeDiskBytes(path.dirname(incomplete));
  const need = meta.size !== undefined ? meta.size - start : undefined;
  if (free !== null && need !== undefined && need > free - DISK_RESERVE) {
    throw new HubError(`${what}: the hub announces ${formatBytes(meta.size!)}, ${formatBytes(need)} still to download, but only ${formatBytes(free)} are free in ${path.dirname(incomplete)} (keeping ${formatBytes(DISK_RESERVE)} spare); nothing was written`);
  }
  if (need !== undefined) return need;
  return free === null ? Number.MAX_SAFE_INTEGER : Math.max(0, free - DISK_RESERVE);
}

/** Disk space a download leaves free. */
const DISK_RESERVE = 256 * 2 ** 20;

const GIT_SHA1_HEX = /^[0-9a-f]{40}$/;

/** Why the downloaded file is not the one the hub described, or undefined when it is. */
async function verify(file: string, meta: FileMetadata): Promise<string | undefined> {
  const size = statSync(file).size;
  if (meta.size !== undefined && size !== meta.size) return `size ${size} bytes, the hub reported ${meta.size}`;
  if (meta.lfs && SHA256_HEX.test(meta.etag)) {
    const actual = await sha256File(file);
    return actual === meta.etag ? undefined : `sha256 mismatch: the hub reported ${meta.etag}, the data has ${actual}`;
  }
  if (!meta.lfs && GIT_SHA1_HEX.test(meta.etag)) {
    const actual = await gitBlobSha1File(file, size);
    return actual === meta.etag ? undefined : `git blob id mismatch: the hub reported ${meta.etag}, the data has ${actual}`;
  }
  return undefined;
}

/** git's blob id of a file: sha1 of `blob <size>\0` and the content (the hub's ETag of non-LFS files). */
export async function gitBlobSha1File(file: string, size: number): Promise<string> {
  const hash = createHash('sha1');
  hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `bytes 100-199/1000` → {start: 100, end: 199, total: 1000}; `*` total → undefined. */
export function parseContentRange(header: string | null): { start: number; end: number; total?: number } | undefined {
  const m = header ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}
