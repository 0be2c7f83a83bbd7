/**
 * A small stand-in for the Hugging Face hub on 127.0.0.1, for tests. It answers what the hub's
 * clients use (as huggingface_hub's file_download.py and hf_api.py expect them):
 *   HEAD/GET /{repo}/resolve/{revision}/{file}
 *       git files: 200, ETag "<git blob sha1>", X-Repo-Commit, Content-Length, Range → 206;
 *       LFS files: 302 to /cdn/<sha256> with X-Linked-Etag "<sha256>", X-Linked-Size, X-Repo-Commit;
 *       404 + X-Error-Code EntryNotFound (+ X-Repo-Commit) / RevisionNotFound; 401 RepoNotFound.
 *   GET /cdn/{sha256}                    LFS content, on a second server (another origin, like the real
 *                                        CDN): Range → 206 + Content-Range + ETag; 416 past the end
 *   GET /api/models/{repo}/refs          {branches: [{name, ref, targetCommit}], tags: [], converts: []}
 *   GET /api/models/{repo}/tree/{rev}    [{type, path, size, oid, lfs?}]
 * Faults, per file path: drop the connection mid-transfer, corrupt the body, answer an HTTP status.
 * Hostile behaviours: a file listing whose Link: rel="next" points at itself, a body dripping one
 * byte at a time, a file announced far larger than it is, a branch list that never ends, a git
 * file whose content is not its ETag's blob.
 * Binds 127.0.0.1 only; bounded (request count, connections, timeouts); `close()` ends both servers.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFileSpec {
  path: string;
  data: Buffer;
  /** Stored with LFS (sha256 ETag, CDN redirect). Default: .safetensors/.bin files. */
  lfs?: boolean;
}

export interface HubRevisionSpec {
  name: string;
  files: HubFileSpec[];
  /** Default: sha1 of the name and files. Give the same commit to alias revisions (main = last step). */
  commit?: string;
}

export type Fault =
  /** Send `afterBytes` of the body, then drop the connection; `times` transfers. */
  | { kind: 'disconnect'; path: string; afterBytes: number; times: number; revision?: string }
  /** Flip a byte in the middle of every transfer of the file. */
  | { kind: 'corrupt'; path: string; revision?: string }
  /** Answer resolve requests for the file with this status, `times` times. */
  | { kind: 'status'; path: string; status: number; times: number }
  /** The tree listing answers with `Link: <its own URL>; rel="next"`, forever. */
  | { kind: 'link-loop' }
  /** Send the file's body one byte every `intervalMs`. */
  | { kind: 'drip'; path: string; intervalMs: number }
  /** Announce the file as `size` bytes (X-Linked-Size, Content-Length of HEAD) whatever it holds. */
  | { kind: 'announce'; path: string; size: number }
  /** The branch list streams `{"branches":[{"name":"stepN"},…` without end (until the client hangs up). */
  | { kind: 'endless-refs' }
  /** Serve other bytes for a (git) file than those its ETag names, same length. */
  | { kind: 'tamper'; path: string };

export interface LoopbackHubOptions {
  repo: string;
  revisions: HubRevisionSpec[];
  /** When set, the hub (not the CDN) requires `Authorization: Bearer <token>`. */
  token?: string;
  faults?: Fault[];
  /** Stop serving after this many requests (503), so a runaway client cannot loop forever. */
  maxRequests?: number;
}

export interface RequestRecord {
  /** 'hub' or 'cdn'. */
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  status: number;
}

export interface LoopbackHub {
  url: string;
  cdnUrl: string;
  requests: RequestRecord[];
  commitOf(revision: string): string;
  close(): Promise<void>;
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** git's blob id: sha1("blob <size>\0" + content), the hub's ETag for non-LFS files. */
export function gitBlobSha1(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

interface ServedFile {
  path: string;
  data: Buffer;
  lfs: boolean;
  etag: string;
}

interface ServedRevision {
  name: string;
  commit: string;
  files: Map<string, ServedFile>;
}

export async function startLoopbackHub(opts: LoopbackHubOptions): Promise<LoopbackHub> {
  const revisions = opts.revisions.map((r): ServedRevision => {
    const files = new Map<string, ServedFile>();
    for (const f of r.files) {
      const lfs = f.lfs ?? /\.(safetensors|bin)$/.test(f.path);
      files.set(f.path, { path: f.path, data: f.data, lfs, etag: lfs ? sha256Hex(f.data) : gitBlobSha1(f.data) });
    }
    const commit = r.commit ?? createHash('sha1').update(`commit ${r.name} ${[...files.values()].map((f) => `${f.path}:${f.etag}`).join(',')}`).digest('hex');
    return { name: r.name, commit, files };
  });
  const byLfsSha = new Map<string, { file: ServedFile; revision: ServedRevision }>();
  for (const rev of revisions) for (const f of rev.files.values()) if (f.lfs) byLfsSha.set(f.etag, { file: f, revision: rev });
  const faults = (opts.faults ?? []).map((f) => ({ ...f }));
  const requests: RequestRecord[] = [];
  const maxRequests = opts.maxRequests ?? 500;
  let cdnBase = '';
  let hubBase = '';

  const findRevision = (rev: string): ServedRevision | undefined => revisions.find((r) => r.name === rev || r.commit === rev);

  const handler = (which: 'hub' | 'cdn') => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const record: RequestRecord = {
      server: which,
      method: req.method ?? 'GET',
      path: decodeURIComponent((req.url ?? '/').split('?')[0]),
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(record);
    const send = (status: number, headers: Record<string, string | number> = {}, body?: Buffer | string): void => {
      record.status = status;
      const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
      res.writeHead(status, { ...(payload ? { 'content-length': payload.length } : { 'content-length': 0 }), ...headers });
      res.end(req.method === 'HEAD' ? undefined : payload);
    };
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void =>
      send(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(value));
    if (requests.length > maxRequests) return send(503, {}, 'loopback hub: request limit reached');

    const url = record.path;
    if (which === 'cdn') return url.startsWith('/cdn/') ? serveCdn(url.slice('/cdn/'.length)) : send(404, {}, 'no such object');
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      return json(401, { error: 'Invalid credentials' }, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' });
    }
    const api = `/api/models/${opts.repo}/`;
    if (url === `${api}refs` && faults.some((f) => f.kind === 'endless-refs')) return endlessRefs();
    if (url === `${api}refs`) {
      return json(200, { branches: revisions.map((r) => ({ name: r.name, ref: `refs/heads/${r.name}`, targetCommit: r.commit })), tags: [], converts: [] });
    }
    if (url.startsWith(`${api}tree/`)) {
      const rev = findRevision(url.slice(`${api}tree/`.length).split('/')[0]);
      if (!rev) return json(404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
      const entries = [...rev.files.values()].map((f) => ({
        type: 'file',
        path: f.path,
        size: f.data.length,
        oid: f.lfs ? gitBlobSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${f.etag}\nsize ${f.data.length}\n`)) : f.etag,
        ...(f.lfs ? { lfs: { oid: f.etag, size: f.data.length, pointerSize: 130 } } : {}),
      }));
      if (faults.some((f) => f.kind === 'link-loop')) return json(200, entries, { link: `<${hubBase}${req.url}>; rel="next"` });
      return json(200, entries);
    }
    const resolvePrefix = `/${opts.repo}/resolve/`;
    if (!url.startsWith(resolvePrefix)) {
      if (url.startsWith('/api/') || !url.includes('/resolve/')) return json(404, { error: 'not found' });
      return json(401, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
    }
    const [revName, ...fileParts] = url.slice(resolvePrefix.length).split('/');
    const filePath = fileParts.join('/');
    const rev = findRevision(revName);
    if (!rev) return json(404, { error: `Invalid rev id: ${revName}` }, { 'x-error-code': 'RevisionNotFound', 'x-error-message': 'Invalid rev id' });
    const statusFault = faults.find((f): f is Extract<Fault, { kind: 'status' }> => f.kind === 'status' && f.path === filePath && f.times > 0);
    if (statusFault) {
      statusFault.times--;
      return json(statusFault.status, { error: 'injected fault' });
    }
    const file = rev.files.get(filePath);
    if (!file) return json(404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': rev.commit });
    const common: Record<string, string> = { 'x-repo-commit': rev.commit };
    const announced = faults.find((f): f is Extract<Fault, { kind: 'announce' }> => f.kind === 'announce' && f.path === filePath);
    if (file.lfs) {
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${file.etag}\nsize ${file.data.length}\n`;
      return send(302, {
        ...common,
        location: `${cdnBase}/cdn/${file.etag}`,
        'x-linked-etag': `"${file.etag}"`,
        'x-linked-size': String(announced?.size ?? file.data.length),
        etag: `"${gitBlobSha1(Buffer.from(pointer))}"`,
      });
    }
    if (announced && req.method === 'HEAD') {
      record.status = 200;
      res.writeHead(200, { ...common, etag: `"${file.etag}"`, 'content-length': announced.size });
      res.end();
      return;
    }
    return serveBytes(file, rev, common);

    function endlessRefs(): void {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"branches":[');
      const chunk = Buffer.from('{"name":"step0","ref":"refs/heads/step0"},'.repeat(4096));
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) { /* until the socket is full */ }
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    }

    function serveCdn(sha: string): void {
      const hit = byLfsSha.get(sha);
      if (!hit) return send(404, {}, 'no such object');
      return serveBytes(hit.file, hit.revision, {});
    }

    function serveBytes(file: ServedFile, rev: ServedRevision, extra: Record<string, string>): void {
      const applies = (f: Fault): boolean => 'path' in f && f.path === file.path && (!('revision' in f) || f.revision === undefined || f.revision === rev.name);
      let data = file.data;
      if (faults.some((f) => f.kind === 'corrupt' && applies(f))) {
        data = Buffer.from(data);
        data[data.length >> 1] ^= 0xff;
      }
      if (faults.some((f) => f.kind === 'tamper' && f.path === file.path)) data = Buffer.from(data.toString('latin1').replace(/[0-9]/g, '7'), 'latin1');
      const headers: Record<string, string | number> = { ...extra, etag: `"${file.etag}"`, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
      let start = 0;
      let end = data.length - 1;
      let status = 200;
      const range = req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
      if (range) {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(end, Number(range[2]));
        if (start >= data.length || start > end) return send(416, { ...headers, 'content-range': `bytes */${data.length}` });
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${data.length}`;
      }
      const body = data.subarray(start, end + 1);
      const drip = faults.find((f): f is Extract<Fault, { kind: 'drip' }> => f.kind === 'drip' && f.path === file.path);
      if (drip && req.method !== 'HEAD') {
        record.status = status;
        res.writeHead(status, { ...headers, 'content-length': body.length });
        let at = 0;
        const tick = setInterval(() => {
          if (res.destroyed || at >= body.length) {
            clearInterval(tick);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(body.subarray(at, at + 1));
          at++;
        }, drip.intervalMs);
        res.on('close', () => clearInterval(tick));
        return;
      }
      const drop = faults.find((f): f is Extract<Fault, { kind: 'disconnect' }> => f.kind === 'disconnect' && applies(f) && f.times > 0);
      if (drop && req.method !== 'HEAD') {
        drop.times--;
        record.status = status;
        res.writeHead(status, { ...headers, 'content-length': body.length });
        res.write(body.subarray(0, Math.min(drop.afterBytes, body.length - 1)), () => res.socket?.destroy());
        return;
      }
      return send(status, headers, body);
    }
  };
  const hubServer = await listenLocal(handler('hub'));
  const cdnServer = await listenLocal(handler('cdn'));
  cdnBase = baseUrl(cdnServer);
  hubBase = baseUrl(hubServer);
  return {
    url: baseUrl(hubServer),
    cdnUrl: cdnBase,
    requests,
    commitOf(name: string): string {
      const rev = revisions.find((r) => r.name === name);
      if (!rev) throw new Error(`loopback hub: no revision ${name}`);
      return rev.commit;
    },
    close: async () => {
      await Promise.all([closeServer(hubServer), closeServer(cdnServer)]);
    },
  };
}

async function listenLocal(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  server.maxConnections = 32;
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

function baseUrl(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
