/**
 * Hugging Face hub: fetching model revisions into the standard hub cache, and the cache layout.
 * See docs/hub.md.
 */
export {
  fetchModel,
  shardsOfIndex,
  DEFAULT_FILES,
  WEIGHT_FALLBACKS,
  type FetchModelOptions,
  type FetchReport,
  type FetchedRevision,
  type FetchedFile,
  type RevisionFailure,
  type FetchEvent,
} from './fetch.js';
export { listBranches, planRevisions, sortRevisions, type HubBranch } from './revisions.js';
export { fetchFileMetadata, downloadBlob, resolveUrl, sha256File, parseContentRange, type FileMetadata, type MetadataResult, type BlobResult } from './download.js';
export {
  HubError,
  DEFAULT_ENDPOINT,
  DEFAULT_RETRY,
  RETRIES_EXHAUSTED,
  backoffDelay,
  withRetries,
  isRetryable,
  endpointFromEnv,
  tokenFromEnv,
  type HubConnection,
  type RetryOptions,
  type RetryEvent,
} from './http.js';
export {
  COMMIT_HASH,
  defaultHubCacheDir,
  repoCacheDir,
  blobPath,
  snapshotDir,
  pointerPath,
  refPath,
  noExistPath,
  readRef,
  writeRef,
  linkPointer,
  normalizeEtag,
  checkRepoId,
} from './cache.js';
