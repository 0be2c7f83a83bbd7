/**
 * Which revisions to fetch. Pythia publishes each training checkpoint as a branch `step<N>`
 * (step0, step1, step2, …, step512, step1000, …, step143000; `main` = the last). `--revisions`
 * takes names (`main`, `step1000`, a bare `1000` meaning `step1000`), strided ranges
 * (`step1000..step143000:1000`, enumerated without asking the hub), and `all` or stride-less
 * ranges (`step0..step1000`), which list the repository's branches through the hub API
 * (`GET /api/models/{repo}/refs` → `branches[].name`, as huggingface_hub's `list_repo_refs`).
 */
import { checkRevisionName } from './cache.js';
import { HubError, MAX_JSON_BYTES, errorForResponse, readJsonCapped, requestHeaders, withRetries, type HubConnection, type RetryEvent } from './http.js';
import { enumerateSteps, needsExistingSteps, parseStepSelection, stepFromName, type StepSelection } from '../checkpoints/steps.js';
import { OptionError } from '../util/errors.js';

export interface HubBranch {
  name: string;
  /** The commit the branch points to, when the hub said. */
  commit?: string;
}

/** The repository's branches, from `/api/models/{repo}/refs`. */
export async function listBranches(conn: HubConnection, repo: string, onRetry?: (e: RetryEvent) => void): Promise<HubBranch[]> {
  const url = `${conn.endpoint}/api/models/${repo}/refs`;
  const what = `${repo}: listing branches`;
  const body = await withRetries(what, conn.retry, async () => {
    const res = await conn.fetch(url, { headers: requestHeaders(conn, url, { accept: 'application/json' }), signal: AbortSignal.timeout(conn.idleTimeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      throw errorForResponse(res, what);
    }
    return readJsonCapped(res, MAX_JSON_BYTES, what);
  }, onRetry);
  const branches = (body as { branches?: unknown })?.branches;
  if (!Array.isArray(branches)) throw new HubError(`${what}: unexpected answer from ${url} (no "branches" list)`);
  return branches
    .filter((b): b is { name: string; targetCommit?: unknown } => typeof (b as { name?: unknown })?.name === 'string')
    .map((b) => ({ name: b.name, commit: typeof b.targetCommit === 'string' ? b.targetCommit : undefined }));
}

/**
 * Revision names for a `--revisions` value, sorted by step (names without a step last, as given).
 * `listBranchNames` is called only when the selection needs the hub's list.
 */
export async function planRevisions(spec: string, listBranchNames: () => Promise<string[]>, option = '--revisions'): Promise<string[]> {
  const selection = parseStepSelection(spec, { option, allowNames: true });
  const names = new Set<string>();
  for (const item of selection.items) {
    if (item.kind === 'name') names.add(checkRevisionName(item.name, option));
  }
  const prefixOf = (p: string): string => p || 'step';
  for (const item of selection.items) {
    if (item.kind === 'step') names.add(checkRevisionName(item.prefix ? item.raw : `step${item.step}`, option));
    if (item.kind === 'range' && item.stride !== undefined) {
      for (let s = item.from; s <= item.to; s += item.stride) names.add(`${prefixOf(item.prefix)}${s}`);
    }
  }
  if (needsExistingSteps(selection)) {
    const branches = await listBranchNames();
    const matching = branches.filter((b) => branchSelected(selection, b));
    if (matching.length === 0) {
      const shown = branches.slice(0, 10).join(', ') + (branches.length > 10 ? ', …' : '');
      throw new OptionError(option, `"${selection.text}" matches none of the repository's branches (${shown || 'none'})`);
    }
    for (const b of matching) names.add(checkRevisionName(b, option));
  }
  enumerateSteps(selection, option);
  return sortRevisions([...names]);
}

function branchSelected(selection: StepSelection, branch: string): boolean {
  const step = stepFromName(branch);
  if (step === undefined) return false;
  if (selection.all) return true;
  return selection.items.some((item) => {
    if (item.kind !== 'range' || item.stride !== undefined) return false;
    const prefixOk = item.prefix === '' || branch.toLowerCase().startsWith(item.prefix.toLowerCase());
    return prefixOk && step >= item.from && step <= item.to;
  });
}

/** Step revisions by step, then the others in their given order. */
export function sortRevisions(names: string[]): string[] {
  const withStep = names.filter((n) => stepFromName(n) !== undefined).sort((a, b) => stepFromName(a)! - stepFromName(b)!);
  return [...withStep, ...names.filter((n) => stepFromName(n) === undefined)];
}
