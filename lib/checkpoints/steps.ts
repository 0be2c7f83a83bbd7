/**
 * Training-step numbers: reading them from checkpoint names (`step1000`, `checkpoint-500`,
 * `global_step200`) and parsing step selections as users write them on the command line
 * (`0,1000,2000`, `1000..143000:1000`, `step1000..step143000:1000`, `all`).
 */
import { OptionError } from '../util/errors.js';

/** Words that, directly before a trailing number, mark that number as a training step. */
const STEP_WORDS = ['global_step', 'step', 'checkpoint', 'ckpt', 'iteration', 'iter'];

/**
 * The training step a checkpoint name carries, or undefined. Accepted: a bare number (`1000`), or a
 * name ending in one of the step words followed by the number, optionally after `-` or `_`
 * (`step1000`, `checkpoint-500`, `global_step200`, `iter_0001000`, `pythia-14m-step1000`).
 * Names with other trailing numbers (`run-3`, `model_v2`) carry no step.
 */
export function stepFromName(name: string): number | undefined {
  const m = /^(.*?)(\d+)$/.exec(name);
  if (!m) return undefined;
  const prefix = m[1].toLowerCase().replace(/[-_]$/, '');
  if (prefix !== '' && !STEP_WORDS.some((w) => prefix.endsWith(w))) return undefined;
  const step = Number(m[2]);
  return Number.isSafeInteger(step) ? step : undefined;
}

/** One item of a step selection. `prefix` keeps how the user spelled revision names (`step`). */
export type StepItem =
  | { kind: 'step'; step: number; prefix: string; raw: string }
  | { kind: 'range'; from: number; to: number; stride?: number; prefix: string }
  | { kind: 'name'; name: string };

export interface StepSelection {
  /** `all`: every step that exists. */
  all: boolean;
  items: StepItem[];
  /** The text as given, for messages. */
  text: string;
}

export interface ParseStepOptions {
  /** Option name for error messages, e.g. `--steps`. */
  option?: string;
  /** Accept items that are names without a step (`main`, a commit hash): revisions, not steps. */
  allowNames?: boolean;
}

/** Most steps one selection may enumerate; guards against typos like `0..1000000000:1`. */
export const MAX_ENUMERATED_STEPS = 1_000_000;

/**
 * Parse a step selection: `all`, or comma-separated items, each a step (`1000`, `step1000`) or a
 * range `A..B` (every existing step in [A, B]) or `A..B:S` (A, A+S, … ≤ B). Items may carry the
 * name prefix (`step1000..step143000:1000`).
 */
export function parseStepSelection(text: string, opts: ParseStepOptions = {}): StepSelection {
  const option = opts.option ?? '--steps';
  const trimmed = text.trim();
  if (trimmed === '') throw new OptionError(option, 'empty selection (give steps like 0,1000,2000, a range 1000..143000:1000, or all)');
  if (trimmed.toLowerCase() === 'all') return { all: true, items: [], text: trimmed };
  const items: StepItem[] = [];
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    if (part === '') throw new OptionError(option, `empty item in "${trimmed}"`);
    items.push(parseItem(part, option, opts.allowNames ?? false));
  }
  const selection = { all: false, items, text: trimmed };
  enumerateSteps(selection, option); // fails early on selections that are too large
  return selection;
}

function parseItem(part: string, option: string, allowNames: boolean): StepItem {
  const range = /^((?:[A-Za-z][A-Za-z_-]*?)?)(\d+)\.\.((?:[A-Za-z][A-Za-z_-]*?)?)(\d+)(?::(\d+))?$/.exec(part);
  if (range) {
    const [, prefixA, a, prefixB, b, s] = range;
    if (prefixB !== '' && prefixB !== prefixA) throw new OptionError(option, `range "${part}" mixes names "${prefixA}" and "${prefixB}"`);
    const from = Number(a);
    const to = Number(b);
    if (from > to) throw new OptionError(option, `range "${part}" runs backwards (${from} > ${to})`);
    if (s === undefined) return { kind: 'range', from, to, prefix: prefixA };
    const stride = Number(s);
    if (stride <= 0) throw new OptionError(option, `range "${part}" needs a stride above 0`);
    return { kind: 'range', from, to, stride, prefix: prefixA };
  }
  if (allowNames && /^[0-9a-f]{40}$/.test(part)) return { kind: 'name', name: part }; // a commit hash
  const single = /^((?:[A-Za-z][A-Za-z_-]*?)?)(\d+)$/.exec(part);
  if (single) return { kind: 'step', step: Number(single[2]), prefix: single[1], raw: part };
  if (/\.\./.test(part)) throw new OptionError(option, `cannot read range "${part}" (write A..B or A..B:STRIDE, e.g. 1000..143000:1000)`);
  if (allowNames && /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(part)) return { kind: 'name', name: part };
  throw new OptionError(option, `cannot read "${part}" (expected a step like 1000 or step1000, a range 1000..143000:1000, or all)`);
}

/** Whether a selection takes `step`. Name items never match a step. */
export function selectsStep(selection: StepSelection, step: number): boolean {
  if (selection.all) return true;
  return selection.items.some((item) => {
    if (item.kind === 'step') return item.step === step;
    if (item.kind === 'range') {
      if (step < item.from || step > item.to) return false;
      return item.stride === undefined || (step - item.from) % item.stride === 0;
    }
    return false;
  });
}

/**
 * The steps a selection names one by one (single steps and strided ranges), ascending and unique.
 * Stride-less ranges and `all` only filter what exists, so they add nothing here.
 */
export function enumerateSteps(selection: StepSelection, option = '--steps'): number[] {
  const steps = new Set<number>();
  for (const item of selection.items) {
    if (item.kind === 'step') steps.add(item.step);
    if (item.kind === 'range' && item.stride !== undefined) {
      const count = Math.floor((item.to - item.from) / item.stride) + 1;
      if (steps.size + count > MAX_ENUMERATED_STEPS) {
        throw new OptionError(option, `"${selection.text}" names more than ${MAX_ENUMERATED_STEPS} steps; use a larger stride`);
      }
      for (let s = item.from; s <= item.to; s += item.stride) steps.add(s);
    }
  }
  return [...steps].sort((a, b) => a - b);
}

/** Whether the selection has parts (`all`, `A..B` without stride) that only filter existing steps. */
export function needsExistingSteps(selection: StepSelection): boolean {
  return selection.all || selection.items.some((i) => i.kind === 'range' && i.stride === undefined);
}
