/**
 * Flags that set experiment settings, shared by the commands that take them (`experiment`,
 * `analyze`): each flag becomes its own settings layer over the config file, so that a bad value
 * is reported under the flag the user typed (e.g. `--phase-model: "phases.model" must be one of …`).
 */
import { OptionError } from '../util/errors.js';

/** A flag, its parsed value (undefined when not given) and the settings layer it makes. */
export type FlagLayer = [flag: string, value: unknown, layer: (v: never) => Record<string, unknown>];

/** A non-negative integer option, or undefined when absent. */
export function toInt(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new OptionError(option, `must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** The phase-search and report flags: --penalty, --min-size, --phase-model, --warmup, --no-figures. */
export function phaseFlagLayers(values: { penalty?: string; 'min-size'?: string; 'phase-model'?: string; warmup?: string; 'no-figures'?: boolean }): FlagLayer[] {
  const penalty = values.penalty === undefined ? undefined : Number(values.penalty);
  if (penalty !== undefined && !(penalty > 0)) throw new OptionError('--penalty', `must be a positive number, got "${values.penalty}"`);
  const warmup = values.warmup === undefined || values.warmup === 'auto' ? values.warmup : toInt('--warmup', values.warmup);
  return [
    ['--penalty', penalty, (v: number) => ({ phases: { penalty: v } })],
    ['--min-size', toInt('--min-size', values['min-size']), (v: number) => ({ phases: { minSize: v } })],
    ['--phase-model', values['phase-model'], (v: string) => ({ phases: { model: v } })],
    ['--warmup', warmup, (v: string | number) => ({ phases: { warmup: v } })],
    ['--no-figures', values['no-figures'] || undefined, () => ({ report: { figures: false } })],
  ];
}
