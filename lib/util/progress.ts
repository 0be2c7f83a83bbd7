/**
 * A progress bar for long work, written to stderr: label, bar, count, rate, ETA and the current
 * item's name. On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a plain
 * line at most every few seconds so logs stay readable. `quiet` silences it.
 */
export interface ProgressOptions {
  /** What is being counted, e.g. "influence". */
  label: string;
  total: number;
  /** Unit for the rate, e.g. "ckpt" → "0.8 ckpt/s". */
  unit?: string;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastPrint = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Mark `n` more items done; `detail` names the current item (e.g. a checkpoint). */
  tick(detail = '', n = 1): void {
    this.done += n;
    this.render(detail, this.done >= this.opts.total);
  }

  /** Redraw with a new detail without counting (e.g. "loading step1000"). */
  update(detail: string, extra = ''): void {
    this.render(extra ? `${detail} ${extra}` : detail, false);
  }

  finish(detail = 'done'): void {
    this.render(detail, true);
  }

  private render(detail: string, final: boolean): void {
    if (this.opts.quiet) return;
    const now = Date.now();
    if (!final && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const line = formatProgressLine(this.opts.label, this.done, this.opts.total, (now - this.start) / 1000, this.opts.unit ?? 'it', detail);
    if (this.tty) this.stream.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }
}

/** One progress line; pure, so it can be tested. */
export function formatProgressLine(label: string, done: number, total: number, elapsedSec: number, unit: string, detail: string): string {
  const width = 24;
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const rate = elapsedSec > 0 ? done / elapsedSec : 0;
  const eta = rate > 0 ? (total - done) / rate : NaN;
  const rateText = rate >= 1 || rate === 0 ? `${rate.toFixed(1)} ${unit}/s` : `${(1 / rate).toFixed(1)} s/${unit}`;
  return `${label} ${bar} ${done}/${total} ${rateText} ETA ${formatDuration(eta)}${detail ? ` ${detail}` : ''}`;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.max(0, Math.round(sec));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}
