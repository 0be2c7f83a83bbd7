/**
 * `fetchModel`: download revisions of a model repository into the standard Hugging Face cache
 * (layout in cache.ts), so `resolveCheckpoints('hf:org/name')`, transformers and huggingface_hub all
 * read the same files. Per revision:
 *   - skipped without any request when refs/<revision> is cached and its snapshot already holds the
 *     requested files (step branches never move);
 *   - otherwise each file is resolved (HEAD) and downloaded unless its blob is cached (download.ts);
 *     the first answer's commit is used for the revision's other files, so they match;
 *   - `model.safetensors` falls back, when the revision lacks it, to `model.safetensors.index.json`
 *     (+ its shards), then `pytorch_model.bin`, then `pytorch_model.bin.index.json` (+ shards);
 *   - refs/<revision> is written last, once every file is in the snapshot.
 * Files of a revision that cannot be had (no such revision, no weights, corrupt data) make that
 * revision fail; the others go on. Network failures that outlast the retries, and a repository that
 * is missing or refuses the token, stop the whole fetch.
 * `files: 'all'` lists a revision's files with @huggingface/hub's `listFiles` (the tree API).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HubApiError, listFiles } from '@huggingface/hub';
import { CntlensError, InputError, OptionError } from '../util/errors.js';
import { checkOutputFolder } from '../util/files.js';
import {
  COMMIT_HASH,
  checkRepoId,
  checkRepoPath,
  defaultHubCacheDir,
  isMarkedNoExist,
  linkPointer,
  markNoExist,
  pointerPath,
  pointerResolves,
  readRef,
  repoCacheDir,
  snapshotDir,
  writeRef,
} from './cache.js';
import { downloadBlob, fetchFileMetadata, type FileMetadata } from './download.js';
import {
  DEFAULT_MIN_RATE,
  DEFAULT_RETRY,
  HubError,
  MAX_JSON_BYTES,
  readBodyCapped,
  RETRIES_EXHAUSTED,
  describeError,
  endpointFromEnv,
  libraryFetch,
  tokenFromEnv,
  type HubConnection,
  type RetryEvent,
  type RetryOptions,
} from './http.js';
import { listBranches, planRevisions } from './revisions.js';

/** What a checkpoint needs: config and weights. */
export const DEFAULT_FILES = ['config.json', 'model.safetensors'];

/** Weight files tried in order when a revision has no `model.safetensors`. */
export const WEIGHT_FALLBACKS = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];

export interface FetchModelOptions {
  /** Model repository, `org/name`. */
  model: string;
  /** Revision selection (see revisions.ts): `main` (default), `step1000,step2000`, `step1000..step143000:1000`, `all`. */
  revisions?: string;
  /** Files per revision (default config.json, model.safetensors), or 'all' for every file in the revision. */
  files?: string[] | 'all';
  /** Fall back from model.safetensors to sharded safetensors or pytorch_model.bin (default true). */
  fallback?: boolean;
  /** Hub cache folder; default from HF_HUB_CACHE / HF_HOME. */
  cacheDir?: string;
  /** Hub URL; default HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Access token; default HF_TOKEN or the saved login token. */
  token?: string;
  retry?: Partial<RetryOptions>;
  /** Abort a transfer when no byte arrives for this long (default 60 s); it is then retried. */
  idleTimeoutMs?: number;
  /** Abort (and retry) a download slower than this over any rateWindowMs (default 1 KiB/s over 60 s). */
  minBytesPerSecond?: number;
  rateWindowMs?: number;
  /** fetch() to use (default the global one). */
  fetch?: typeof fetch;
  onEvent?: (event: FetchEvent) => void;
}

export interface FetchedFile {
  /** Path in the repository, e.g. `model.safetensors`. */
  file: string;
  /** snapshots/<commit>/<file>. */
  pointer: string;
  /** ETag = blob name (sha256 for LFS files). Unknown (undefined) for files found in a cached snapshot. */
  etag?: string;
  /** Bytes downloaded now (0: already cached). */
  downloaded: number;
  /** Offsets each GET started at (see BlobResult.starts); empty when nothing was downloaded. */
  starts: number[];
}

export interface FetchedRevision {
  revision: string;
  commit: string;
  /** snapshots/<commit>: the checkpoint folder. */
  dir: string;
  files: FetchedFile[];
  /** `cached`: nothing was asked of the hub. */
  status: 'downloaded' | 'cached';
  /** The weights file used instead of model.safetensors, when the fallback applied. */
  fallback?: string;
}

export interface RevisionFailure {
  revision: string;
  message: string;
}

export interface FetchReport {
  repo: string;
  cacheDir: string;
  /** <cache>/models--org--name. */
  repoDir: string;
  revisions: FetchedRevision[];
  failures: RevisionFailure[];
}

export type FetchEvent =
  | { type: 'plan'; revisions: string[] }
  | { type: 'revision'; revision: string; index: number; total: number }
  | { type: 'bytes'; revision: string; file: string; have: number; total?: number }
  | { type: 'retry'; what: string; attempt: number; delayMs: number; message: string }
  | { type: 'done'; result: FetchedRevision }
  | { type: 'failed'; failure: RevisionFailure };

/** Download the selected revisions (see the module comment). Throws only for problems that stop everything. */
export async function fetchModel(options: FetchModelOptions): Promise<FetchReport> {
  const repo = checkRepoId(options.model);
  const conn: HubConnection = {
    endpoint: (options.endpoint ?? endpointFromEnv()).replace(/\/+$/, ''),
    token: options.token ?? tokenFromEnv(),
    retry: { ...DEFAULT_RETRY, ...options.retry },
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_MIN_RATE.minBytesPerSecond,
    rateWindowMs: options.rateWindowMs ?? DEFAULT_MIN_RATE.rateWindowMs,
    fetch: options.fetch ?? globalThis.fetch,
  };
  const files = checkFiles(options.files ?? DEFAULT_FILES);
  const cacheDir = options.cacheDir ?? defaultHubCacheDir();
  // A file, a device or a folder in /proc as the cache stops here, before any request.
  checkOutputFolder(cacheDir, options.cacheDir !== undefined ? '--cache-dir' : 'the hub cache (HF_HUB_CACHE / HF_HOME)');
  const repoDir = repoCacheDir(cacheDir, repo);
  const emit = options.onEvent ?? ((): void => {});
  const onRetry = (e: RetryEvent): void => emit({ type: 'retry', what: e.what, attempt: e.attempt, delayMs: e.delayMs, message: describeError(e.error) });
  const revisions = await planRevisions(options.revisions ?? 'main', async () => (await listBranches(conn, repo, onRetry)).map((b) => b.name));
  emit({ type: 'plan', revisions });

  const report: FetchReport = { repo, cacheDir, repoDir, revisions: [], failures: [] };
  const job: RevisionJob = { conn, repo, repoDir, files, fallback: options.fallback ?? true, emit, onRetry };
  for (const [index, revision] of revisions.entries()) {
    emit({ type: 'revision', revision, index, total: revisions.length });
    try {
      const result = cachedRevision(job, revision) ?? (await fetchRevision(job, revision));
      report.revisions.push(result);
      emit({ type: 'done', result });
    } catch (err) {
      // Hub errors that would repeat for every revision, and bugs, stop everything; the rest
      // (no such revision, no weights, corrupt data, an unreadable weights index) fail this revision.
      if (!(err instanceof CntlensError) || (err instanceof HubError && isFatal(err))) throw err;
      const failure = { revision, message: err.message };
      report.failures.push(failure);
      emit({ type: 'failed', failure });
    }
  }
  return report;
}

/** Errors that would repeat for every revision: stop instead of failing each one. */
function isFatal(err: HubError): boolean {
  return err.code === RETRIES_EXHAUSTED || err.code === 'RepoNotFound' || err.code === 'GatedRepo' || err.status === 401 || err.status === 403;
}

function checkFiles(files: string[] | 'all'): string[] | 'all' {
  if (files === 'all') return files;
  if (files.length === 0) throw new OptionError('--files', 'no files given');
  for (const f of files) {
    try {
      checkRepoPath(f);
    } catch (err) {
      throw new OptionError('--files', (err as Error).message);
    }
  }
  return [...new Set(files)];
}

interface RevisionJob {
  conn: HubConnection;
  repo: string;
  repoDir: string;
  files: string[] | 'all';
  fallback: boolean;
  emit: (e: FetchEvent) => void;
  onRetry: (e: RetryEvent) => void;
}

/** The revision as cached, when refs/<revision> and a snapshot holding every requested file exist. */
function cachedRevision(job: RevisionJob, revision: string): FetchedRevision | undefined {
  if (job.files === 'all') return undefined;
  const commit = COMMIT_HASH.test(revision) ? revision : readRef(job.repoDir, revision);
  if (!commit || !COMMIT_HASH.test(commit)) return undefined;
  const present: string[] = [];
  let fallback: string | undefined;
  for (const file of job.files) {
    if (file === 'model.safetensors' && job.fallback) {
      const weights = cachedWeights(job.repoDir, commit);
      if (!weights) return undefined;
      present.push(...weights);
      if (weights[0] !== 'model.safetensors') fallback = weights[0];
    } else if (pointerResolves(pointerPath(job.repoDir, commit, file))) {
      present.push(file);
    } else {
      return undefined;
    }
  }
  const files = present.map((file) => ({ file, pointer: pointerPath(job.repoDir, commit, file), downloaded: 0, starts: [] }));
  return { revision, commit, dir: snapshotDir(job.repoDir, commit), files, status: 'cached', fallback };
}

/** The cached weight files of a snapshot (index first, then shards), by the fallback order. */
function cachedWeights(repoDir: string, commit: string): string[] | undefined {
  for (const candidate of WEIGHT_FALLBACKS) {
    const pointer = pointerPath(repoDir, commit, candidate);
    if (!pointerResolves(pointer)) continue;
    if (!candidate.endsWith('.index.json')) return [candidate];
    let shards: string[];
    try {
      shards = shardsOfIndex(pointer);
    } catch {
      continue;
    }
    if (shards.every((s) => pointerResolves(pointerPath(repoDir, commit, s)))) return [candidate, ...shards];
  }
  return undefined;
}

/** Shard files named in a `*.index.json` (`weight_map` values), unique, in name order. */
export function shardsOfIndex(indexFile: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (err) {
    throw new InputError(indexFile, `not a readable weights index (${(err as Error).message})`);
  }
  const map = (data as { weight_map?: unknown })?.weight_map;
  if (!map || typeof map !== 'object') throw new InputError(indexFile, 'weights index has no "weight_map"');
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  if (shards.some((s) => typeof s !== 'string')) throw new InputError(indexFile, 'weights index "weight_map" has non-string file names');
  return (shards as string[])
    .map((s) => {
      try {
        return checkRepoPath(s);
      } catch (err) {
        throw new InputError(indexFile, (err as Error).message);
      }
    })
    .sort();
}

/** Resolve and download the revision's files, then record the ref. */
async function fetchRevision(job: RevisionJob, revision: string): Promise<FetchedRevision> {
  const state: { commit?: string } = { commit: COMMIT_HASH.test(revision) ? revision : undefined };
  const fetched: FetchedFile[] = [];
  let fallback: string | undefined;
  const wanted = job.files === 'all' ? await listRevisionFiles(job, revision) : job.files;
  for (const file of wanted) {
    if (file === 'model.safetensors' && job.fallback && job.files !== 'all') {
      const used = await fetchWeights(job, revision, state, fetched);
      if (used !== 'model.safetensors') fallback = used;
      continue;
    }
    const got = await fetchOne(job, revision, state, file);
    if (!got) throw new HubError(`${job.repo}@${revision}: has no ${file}`, { code: 'EntryNotFound', status: 404 });
    fetched.push(got);
  }
  const commit = state.commit!;
  await writeRef(job.repoDir, revision, commit);
  return { revision, commit, dir: snapshotDir(job.repoDir, commit), files: fetched, status: 'downloaded', fallback };
}

/** model.safetensors, else the fallbacks in order; returns the file used. */
async function fetchWeights(job: RevisionJob, revision: string, state: { commit?: string }, fetched: FetchedFile[]): Promise<string> {
  for (const candidate of WEIGHT_FALLBACKS) {
    const got = await fetchOne(job, revision, state, candidate);
    if (!got) continue;
    fetched.push(got);
    if (candidate.endsWith('.index.json')) {
      const base = path.posix.dirname(candidate);
      for (const shard of shardsOfIndex(got.pointer)) {
        const name = base === '.' ? shard : `${base}/${shard}`;
        const part = await fetchOne(job, revision, state, name);
        if (!part) throw new HubError(`${job.repo}@${revision}: ${candidate} names ${name}, which the revision lacks`, { code: 'EntryNotFound', status: 404 });
        fetched.push(part);
      }
    }
    return candidate;
  }
  throw new HubError(`${job.repo}@${revision}: no weights at this revision (looked for ${WEIGHT_FALLBACKS.join(', ')})`, { code: 'EntryNotFound', status: 404 });
}

/** One file: resolve, download unless cached, link into the snapshot. Undefined when the revision lacks it. */
async function fetchOne(job: RevisionJob, revision: string, state: { commit?: string }, file: string): Promise<FetchedFile | undefined> {
  if (state.commit && isMarkedNoExist(job.repoDir, state.commit, file)) return undefined;
  const result = await fetchFileMetadata(job.conn, job.repo, state.commit ?? revision, file, job.onRetry);
  if (!result.found) {
    if (result.commit) {
      state.commit ??= result.commit;
      await markNoExist(job.repoDir, result.commit, file);
    }
    return undefined;
  }
  const meta: FileMetadata = result.meta;
  state.commit ??= meta.commit;
  if (meta.commit !== state.commit) {
    throw new HubError(`${job.repo}@${revision}: ${file} came from commit ${meta.commit}, the revision's other files from ${state.commit}`);
  }
  const blob = await downloadBlob(job.conn, job.repoDir, meta, (have, total) => job.emit({ type: 'bytes', revision, file, have, total }), job.onRetry);
  const pointer = await linkPointer(job.repoDir, meta.commit, file, meta.etag);
  return { file, pointer, etag: meta.etag, downloaded: blob.downloaded, starts: blob.starts };
}

/** The most pages a file listing may have (the hub sends up to 1,000 entries a page). */
export const MAX_LISTING_PAGES = 1000;

/**
 * The fetch @huggingface/hub's listFiles pages through: each page under a total deadline and
 * MAX_JSON_BYTES, and the pages followed (Link: rel="next") neither repeated — a listing whose
 * next page is itself once made 189,577 requests in 40 s — nor more than MAX_LISTING_PAGES.
 */
function listingFetch(job: RevisionJob, what: string): typeof fetch {
  const inner = libraryFetch(job.conn, job.onRetry);
  const seen = new Set<string>();
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (seen.has(url)) throw new HubError(`${what}: the hub's listing comes back to page ${url} (its Link: rel="next" loops); stopped after ${seen.size} page(s)`);
    if (seen.size >= MAX_LISTING_PAGES) throw new HubError(`${what}: the listing runs past ${MAX_LISTING_PAGES} pages; stopped`);
    seen.add(url);
    const res = await inner(input, { ...init, signal: AbortSignal.timeout(job.conn.idleTimeoutMs) });
    if (!res.ok) return res;
    const body = await readBodyCapped(res, MAX_JSON_BYTES, what);
    return new Response(new Blob([body as Uint8Array<ArrayBuffer>]), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** Every file of a revision, through @huggingface/hub's listFiles (tree API). */
async function listRevisionFiles(job: RevisionJob, revision: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of listFiles({
      repo: { type: 'model', name: job.repo },
      revision,
      recursive: true,
      hubUrl: job.conn.endpoint,
      fetch: listingFetch(job, `${job.repo}@${revision}: listing files`),
    })) {
      if (entry.type !== 'file') continue;
      try {
        files.push(checkRepoPath(entry.path));
      } catch (err) {
        throw new HubError(`${job.repo}@${revision}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    if (err instanceof HubApiError) {
      const status = err.statusCode;
      const code = status === 401 ? 'RepoNotFound' : status === 404 ? 'RevisionNotFound' : undefined;
      throw new HubError(`${job.repo}@${revision}: listing files failed (HTTP ${status}): ${err.message}`, { status, code });
    }
    throw err;
  }
  if (files.length === 0) throw new HubError(`${job.repo}@${revision}: the revision has no files`);
  return files.sort();
}
