/**
 * Errors a user can act on. The CLI prints their message alone (no stack trace) and exits 1;
 * anything else that escapes is a bug and is printed with its stack.
 */
export class CntlensError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CntlensError';
  }
}

/** An input file that cannot be used: the message always names the file and the problem. */
export class InputError extends CntlensError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
    this.file = file;
  }
}

/** A bad option or argument value, named as the user wrote it (e.g. `--positions`). */
export class OptionError extends CntlensError {
  constructor(option: string, problem: string) {
    super(`${option}: ${problem}`);
    this.name = 'OptionError';
  }
}

/**
 * A short preview of a JSON value for an error message: as JSON.stringify writes small values,
 * but at most `max` characters, 8 items per array or object and 3 levels deep, so that a
 * 5,000-level nested array from a hostile file cannot overflow the stack (or flood the terminal)
 * while the message that refuses it is built.
 */
export function preview(value: unknown, max = 120): string {
  const text = previewAt(value, 0);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const PREVIEW_DEPTH = 3;
const PREVIEW_ITEMS = 8;

function previewAt(value: unknown, depth: number): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    if (depth >= PREVIEW_DEPTH) return value.length === 0 ? '[]' : '[…]';
    const items = value.slice(0, PREVIEW_ITEMS).map((v) => previewAt(v, depth + 1));
    if (value.length > PREVIEW_ITEMS) items.push('…');
    return `[${items.join(',')}]`;
  }
  const keys = Object.keys(value);
  if (depth >= PREVIEW_DEPTH) return keys.length === 0 ? '{}' : '{…}';
  const items = keys.slice(0, PREVIEW_ITEMS).map((k) => `${JSON.stringify(k)}:${previewAt((value as Record<string, unknown>)[k], depth + 1)}`);
  if (keys.length > PREVIEW_ITEMS) items.push('…');
  return `{${items.join(',')}}`;
}
