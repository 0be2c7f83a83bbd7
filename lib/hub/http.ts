/**
 * HTTP to the hub: settings from the environment, error classification, and retries with bounded
 * exponential backoff (delay = min(max, base · 2^attempt), honouring Retry-After up to the max).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CntlensError, OptionError } from '../util/errors.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface RetryOptions {
  /** Retries after the first attempt (so at most retries + 1 attempts). */
  retries: number;
  /** Delay before the first retry, doubled each time. */
  baseDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 5, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** A failure talking to the hub; `retryable` when trying again may help (network, 5xx, 429). */
export class HubError extends CntlensError {
  readonly status?: number;
  /** The hub's X-Error-Code (EntryNotFound, RevisionNotFound, RepoNotFound, GatedRepo, …). */
  readonly code?: string;
  readonly retryable: boolean;
  constructor(message: string, opts: { status?: number; code?: string; retryable?: boolean } = {}) {
    super(message);
    this.name = 'HubError';
    this.status = opts.status;
    this.code = opts.code;
    this.retryable = opts.retryable ?? false;
  }
}

/** Where and as whom to talk to the hub. */
export interface HubConnection {
  /** Base URL, no trailing slash (HF_ENDPOINT). */
  endpoint: string;
  /** Bearer token (HF_TOKEN), sent to the endpoint's origin only. */
  token?: string;
  retry: RetryOptions;
  /** Abort a request when no byte arrives for this long. */
  idleTimeoutMs: number;
  /**
   * Abort a download that brings fewer than minBytesPerSecond × rateWindowMs / 1000 bytes in any
   * rateWindowMs: a server that drips a byte a second never trips the idle timeout.
   */
  minBytesPerSecond: number;
  rateWindowMs: number;
  fetch: typeof fetch;
}

/** Defaults of the transfer-rate floor (HubConnection). */
export const DEFAULT_MIN_RATE = { minBytesPerSecond: 1024, rateWindowMs: 60_000 };

/** The most a JSON answer of the hub API (a branch list, a page of a file listing) may hold. */
export const MAX_JSON_BYTES = 64 * 2 ** 20;

/**
 * Read a response body, refusing one longer than `limit` bytes: the answer is read chunk by
 * chunk and dropped as soon as it runs past the limit, so a hostile or broken hub cannot make
 * cntlens hold gigabytes (or fail with "Cannot create a string longer than …").
 */
export async function readBodyCapped(res: Response, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw new HubError(`${what}: the answer runs past ${limit} bytes, more than it can need; stopped reading`);
      }
      chunks.push(value);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** readBodyCapped, parsed as JSON; invalid JSON is a HubError naming what was asked. */
export async function readJsonCapped(res: Response, limit: number, what: string): Promise<unknown> {
  const bytes = await readBodyCapped(res, limit, what);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new HubError(`${what}: the answer is not valid JSON (${(err as Error).message})`);
  }
}

/** HF_ENDPOINT (default https://huggingface.co), checked and without a trailing slash. */
export function endpointFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionError('HF_ENDPOINT', `"${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OptionError('HF_ENDPOINT', `"${raw}" is not an http(s) URL`);
  return raw.replace(/\/+$/, '');
}

/**
 * The access token as huggingface_hub finds it: HF_TOKEN, else the file written by
 * `huggingface-cli login` ($HF_TOKEN_PATH, else $HF_HOME/token, default ~/.cache/huggingface/token).
 */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (direct) return direct;
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
  const file = env.HF_TOKEN_PATH || path.join(home, 'token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Delay before retry number `attempt` (0-based). Pure. */
export function backoffDelay(attempt: number, retry: RetryOptions, retryAfterMs?: number): number {
  const exponential = retry.baseDelayMs * 2 ** attempt;
  const wanted = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(retryAfterMs, exponential) : exponential;
  return Math.min(retry.maxDelayMs, wanted);
}

/** Whether an error is worth another attempt: HubError says so; network-level failures are. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof HubError) return err.retryable;
  if (err instanceof CntlensError) return false;
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  // fetch() reports network trouble as TypeError ("fetch failed", "terminated"), aborted idle
  // transfers as AbortError/TimeoutError, socket errors by code.
  if (e?.name === 'TypeError' || e?.name === 'AbortError' || e?.name === 'TimeoutError') return true;
  const code = e?.code ?? e?.cause?.code ?? '';
  return /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|UND_ERR_)/.test(code);
}

/** HubError.code when a retryable failure persisted through every retry. */
export const RETRIES_EXHAUSTED = 'RetriesExhausted';

export interface RetryEvent {
  what: string;
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** Run `fn` until it succeeds, a non-retryable error occurs, or the retries are spent. */
export async function withRetries<T>(what: string, retry: RetryOptions, fn: (attempt: number) => Promise<T>, onRetry?: (e: RetryEvent) => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err) || attempt >= retry.retries) {
        if (isRetryable(err)) {
          const status = err instanceof HubError ? err.status : undefined;
          throw new HubError(`${what}: gave up after ${attempt + 1} attempts: ${describeError(err)}`, { status, code: RETRIES_EXHAUSTED });
        }
        throw err;
      }
      const delayMs = backoffDelay(attempt, retry, (err as { retryAfterMs?: number }).retryAfterMs);
      onRetry?.({ what, attempt: attempt + 1, delayMs, error: err });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** One line about an error, with the network cause fetch() hides in `cause`. */
export function describeError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause ? ` (${e.cause.code ?? e.cause.message ?? String(e.cause)})` : '';
  return `${e?.message ?? String(err)}${cause}`;
}

/** A HubError for a non-2xx answer, with what the user can do about it. */
export function errorForResponse(res: Response, what: string): HubError & { retryAfterMs?: number } {
  const code = res.headers.get('x-error-code') ?? undefined;
  const serverMessage = res.headers.get('x-error-message');
  const detail = serverMessage ? `: ${serverMessage}` : '';
  const status = res.status;
  let message: string;
  if (code === 'RepoNotFound' || status === 401) {
    message = `${what}: repository not found or not accessible (HTTP ${status}${detail}); check the model id, or set HF_TOKEN for a private or gated model`;
  } else if (code === 'GatedRepo' || status === 403) {
    message = `${what}: access refused (HTTP ${status}${detail}); accept the model's terms on the hub and set HF_TOKEN`;
  } else if (code === 'RevisionNotFound') {
    message = `${what}: no such revision (HTTP ${status}${detail})`;
  } else if (code === 'EntryNotFound') {
    message = `${what}: no such file at this revision (HTTP ${status}${detail})`;
  } else {
    message = `${what}: HTTP ${status} ${res.statusText}${detail}`;
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  const error = new HubError(message, { status, code, retryable }) as HubError & { retryAfterMs?: number };
  const retryAfter = Number(res.headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter >= 0) error.retryAfterMs = retryAfter * 1000;
  return error;
}

/** Request headers: the token only for the hub's own origin (never sent on to a CDN). */
export function requestHeaders(conn: HubConnection, url: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'cntlens/0.1 (+@huggingface/hub)', ...extra };
  if (conn.token && new URL(url).origin === new URL(conn.endpoint).origin) headers.authorization = `Bearer ${conn.token}`;
  return headers;
}

/**
 * A fetch for @huggingface/hub calls: adds the token (any format: the library itself only accepts
 * `hf_…` tokens) and retries on network errors and 5xx/429 answers.
 */
export function libraryFetch(conn: HubConnection, onRetry?: (e: RetryEvent) => void): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = requestHeaders(conn, url);
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    return withRetries(`GET ${url}`, conn.retry, async () => {
      const res = await conn.fetch(input, { ...init, headers });
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        throw errorForResponse(res, url);
      }
      return res;
    }, onRetry);
  };
}
