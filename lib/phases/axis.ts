/**
 * The time axis. Change points are searched in checkpoint order whatever the axis; the axis gives
 * the x of plots and the unit of trends (e.g. how much the Gini coefficient rises over a phase).
 *
 * - index: 0, 1, 2, … (every checkpoint one unit)
 * - step: the training step
 * - logstep: ln(step + 1), so step 0 sits at 0
 * - auto (default): `step` when the checkpoints are (nearly) evenly spaced, `logstep` when the
 *   spacing varies a lot and every step is ≥ 0 (Pythia: 0, 1, 2, 4 … 512 then every 1000 to
 *   143000; learning curves are roughly straight in log-time, and the early log-spaced
 *   checkpoints would otherwise be squeezed into the first pixel), `index` otherwise.
 */
import { OptionError } from '../util/errors.js';
import type { AxisKind, AxisOption } from './types.js';

/** Spacing counts as even when the largest gap is at most this many times the smallest. */
export const EVEN_SPACING_RATIO = 2;

export interface ResolvedAxis {
  requested: AxisOption;
  used: AxisKind;
  /** One sentence: why this axis (reported in settings). */
  reason: string;
  /** Axis value of each checkpoint. */
  values: number[];
}

export function axisValues(steps: readonly number[], kind: AxisKind): number[] {
  switch (kind) {
    case 'index': return steps.map((_, i) => i);
    case 'step': return steps.slice();
    case 'logstep': {
      const bad = steps.find((s) => !(s >= 0));
      if (bad !== undefined) throw new OptionError('--axis', `logstep needs steps >= 0, got step ${bad}`);
      return steps.map((s) => Math.log(s + 1));
    }
    default: throw new OptionError('--axis', `must be auto, index, step or logstep, got ${String(kind)}`);
  }
}

/** Chooses the axis (see the module comment) for steps in ascending order. */
export function resolveAxis(steps: readonly number[], requested: AxisOption = 'auto'): ResolvedAxis {
  if (requested !== 'auto') {
    return { requested, used: requested, reason: 'chosen by the user', values: axisValues(steps, requested) };
  }
  if (steps.length < 3) {
    return { requested, used: 'step', reason: 'fewer than 3 checkpoints: the training step', values: axisValues(steps, 'step') };
  }
  const gaps = steps.slice(1).map((s, i) => s - steps[i]);
  const smallest = Math.min(...gaps);
  const largest = Math.max(...gaps);
  if (largest <= EVEN_SPACING_RATIO * smallest) {
    return {
      requested,
      used: 'step',
      reason: `checkpoints are evenly spaced (gaps ${fmt(smallest)} to ${fmt(largest)} steps): the training step`,
      values: axisValues(steps, 'step'),
    };
  }
  if (steps[0] >= 0) {
    return {
      requested,
      used: 'logstep',
      reason: `checkpoint spacing varies from ${fmt(smallest)} to ${fmt(largest)} steps (as on Pythia's log-then-linear grid): ln(step + 1), so the early checkpoints are not squeezed together and trends read in log-time`,
      values: axisValues(steps, 'logstep'),
    };
  }
  return {
    requested,
    used: 'index',
    reason: 'uneven spacing with negative steps: the checkpoint index',
    values: axisValues(steps, 'index'),
  };
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** Ordinary least-squares slope of y on x; NaN with fewer than 2 distinct x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}
