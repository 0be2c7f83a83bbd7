/**
 * `cntlens fetch`: download model revisions from the Hugging Face hub into the standard hub cache.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { OptionError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import { DEFAULT_FILES, fetchModel, type FetchEvent, type FetchedRevision } from '../../hub/fetch.js';
import { DEFAULT_RETRY } from '../../hub/http.js';

const usage = `Usage: cntlens fetch --model ORG/NAME [options]

Downloads revisions of a model from the Hugging Face hub into the standard Hugging Face cache
(models--ORG--NAME/blobs, snapshots/<commit>, refs/<revision>), the same files the Python tools
use, so \`cntlens experiment --checkpoints hf:ORG/NAME\` finds them. What is cached is skipped,
interrupted downloads resume, LFS files are checked against the sha256 the hub reports and the
others against their git blob id. Free disk space is checked against the announced size before
a download starts; a transfer slower than 1 KiB/s over a minute is aborted and retried; answers
of the hub API are read up to 64 MiB, a file listing up to 1,000 pages, never a page twice.

Options:
  --model ORG/NAME     repository, e.g. EleutherAI/pythia-14m-deduped (required)
  --revisions SPEC     main (default); a list step0,step1000; a range step1000..step143000:1000;
                       a range without stride step0..step1000 (the branches in it, listed from
                       the hub); all (every branch named with a step). A bare 1000 means step1000.
  --files LIST         files per revision, comma-separated (default ${DEFAULT_FILES.join(',')}), or all.
                       A revision without model.safetensors gets model.safetensors.index.json and
                       its shards, else pytorch_model.bin (else pytorch_model.bin.index.json + shards).
  --cache-dir DIR      hub cache (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)
  --retries N          retries after network errors and 5xx/429 answers, per request (default ${DEFAULT_RETRY.retries})
  --retry-delay MS     wait before the first retry, doubled each time up to ${DEFAULT_RETRY.maxDelayMs / 1000} s (default ${DEFAULT_RETRY.baseDelayMs})
  --quiet              no progress bar or retry messages

Environment: HF_ENDPOINT (hub URL, default https://huggingface.co), HF_TOKEN (access token; else
the token saved by \`huggingface-cli login\`), HF_HUB_CACHE / HF_HOME (cache folder).

Prints one line per revision (commit, files, bytes downloaded). Exits 1 when any revision failed
(the others are kept).`;

export const command: Command = {
  name: 'fetch',
  summary: 'download model revisions from the Hugging Face hub into the HF cache',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        revisions: { type: 'string' },
        files: { type: 'string' },
        'cache-dir': { type: 'string' },
        retries: { type: 'string' },
        'retry-delay': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    });
    if (!values.model) throw new OptionError('--model', 'required (e.g. --model EleutherAI/pythia-14m-deduped)');
    const files = parseFiles(values.files);
    const retries = parseCount(values.retries, '--retries', DEFAULT_RETRY.retries);
    const baseDelayMs = parseCount(values['retry-delay'], '--retry-delay', DEFAULT_RETRY.baseDelayMs);
    const quiet = values.quiet ?? false;

    let progress: Progress | undefined;
    const onEvent = (event: FetchEvent): void => {
      switch (event.type) {
        case 'plan':
          progress = new Progress({ label: 'fetch', total: event.revisions.length, unit: 'rev', quiet });
          break;
        case 'bytes':
          progress?.update(`${event.revision} ${event.file}`, `${formatBytes(event.have)}${event.total !== undefined ? `/${formatBytes(event.total)}` : ''}`);
          break;
        case 'retry':
          if (!quiet) process.stderr.write(`\nretrying ${event.what} (attempt ${event.attempt + 1}) in ${(event.delayMs / 1000).toFixed(1)} s: ${event.message}\n`);
          break;
        case 'done':
          progress?.tick(event.result.revision);
          process.stdout.write(describeRevision(event.result) + '\n');
          break;
        case 'failed':
          progress?.tick(event.failure.revision);
          process.stderr.write(`cntlens fetch: ${event.failure.revision} failed: ${event.failure.message}\n`);
          break;
        default:
          break;
      }
    };
    const report = await fetchModel({
      model: values.model,
      revisions: values.revisions,
      files,
      cacheDir: values['cache-dir'],
      retry: { retries, baseDelayMs },
      onEvent,
    });
    const ok = report.revisions.length;
    process.stdout.write(`${ok} revision(s) in ${report.repoDir}${ok > 0 ? `; analyse with: cntlens experiment --checkpoints hf:${report.repo}` : ''}\n`);
    if (report.failures.length > 0) {
      process.stderr.write(`cntlens fetch: ${report.failures.length} revision(s) failed: ${report.failures.map((f) => f.revision).join(', ')}\n`);
      return 1;
    }
    return 0;
  },
};

function parseFiles(text: string | undefined): string[] | 'all' | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === 'all') return 'all';
  const files = text.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (files.length === 0) throw new OptionError('--files', 'no files given (e.g. --files config.json,model.safetensors)');
  return files;
}

function parseCount(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new OptionError(option, `expected a whole number ≥ 0, got "${text}"`);
  return Number(text.trim());
}

function describeRevision(r: FetchedRevision): string {
  const bytes = r.files.reduce((sum, f) => sum + f.downloaded, 0);
  const what = r.status === 'cached' ? 'cached' : bytes > 0 ? `downloaded ${formatBytes(bytes)}` : 'linked from cached blobs';
  const fallback = r.fallback ? ` (no model.safetensors: ${r.fallback})` : '';
  return `${r.revision}  ${r.commit.slice(0, 12)}  ${what}  ${r.files.map((f) => f.file).join(', ')}${fallback}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
