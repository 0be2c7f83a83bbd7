/**
 * Ablations as plug-ins. An Ablation says what a component's output is replaced with, given the
 * component's clean output over the whole batch of prompts; the engine does the rest (where the
 * replacement goes in the forward pass, batching, measuring). Built-ins live one per file in
 * ./ablations/ and are registered by ./ablations/index.ts; code outside lib registers its own
 * with `registerAblation` (the CLI loads such modules with `--plugin FILE`).
 *
 * Each ablation documents its *reference distribution* (Chan et al. 2022, "Causal scrubbing";
 * Heimersheim & Nanda 2024, "How to use and interpret activation patching"): the values the
 * component is pinned to instead of its real output.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { OptionError } from '../util/errors.js';
import type { ComponentNode } from './nodes.js';

export interface AblationContext {
  /** The component being ablated (a head or an MLP). */
  node: ComponentNode;
  /** The sweep's seed (the same for every component: e.g. one shared derangement of prompts). */
  seed: number;
  /** A seed of this component alone, derived from the sweep seed and the node's name. */
  nodeSeed: number;
  /** The TensorFlow.js namespace the engine runs on (a plug-in should use this, not its own import). */
  tf: typeof tfNamespace;
}

export interface Ablation {
  /** Name used on the command line (`--ablation NAME`): lower case letters, digits, `-`, `_`. */
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /** The reference distribution, in words: what the output is replaced with. */
  readonly reference: string;
  /**
   * The replacement of the component's output. `clean` is its clean output,
   * [batch, pos, d_model] (a head: its residual contribution z_h · W_O slice without bias; an
   * MLP: its output with bias). Returns a new tensor of the same shape; the engine disposes
   * it. Must be deterministic given `ctx` (seeded), and must not dispose `clean`.
   */
  replacement(clean: tfNamespace.Tensor3D, ctx: AblationContext): tfNamespace.Tensor3D;
}

/**
 * One registry per process (a global keyed by a registered symbol), not per module instance: a
 * plug-in may reach this file through another loader (ESM import vs tsx's require, a symlinked
 * path), which would otherwise give it a registry of its own.
 */
const REGISTRY_KEY = Symbol.for('cntlens.ablation.registry');
const registry: Map<string, Ablation> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] ??= new Map<string, Ablation>()) as Map<string, Ablation>;
const NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;

/**
 * Make an ablation available by name. Registering a name twice is an error unless `replace`
 * is set (so two plug-ins cannot silently shadow each other); `ifAbsent` keeps an existing one
 * (the built-ins use it: a second copy of this module, loaded through another loader, must not
 * fail on them).
 */
export function registerAblation(ablation: Ablation, options: { replace?: boolean; ifAbsent?: boolean } = {}): void {
  if (!isAblation(ablation)) throw new TypeError('registerAblation: expected {name, summary, reference, replacement(clean, ctx)}');
  if (!NAME_PATTERN.test(ablation.name)) {
    throw new TypeError(`registerAblation: name "${ablation.name}" must match ${NAME_PATTERN} (lower case, digits, - and _)`);
  }
  if (options.ifAbsent && registry.has(ablation.name)) return;
  if (registry.has(ablation.name) && !options.replace && registry.get(ablation.name) !== ablation) {
    throw new TypeError(`registerAblation: an ablation named "${ablation.name}" is already registered`);
  }
  registry.set(ablation.name, ablation);
}

/** Remove a registered ablation (tests); returns whether it was there. */
export function unregisterAblation(name: string): boolean {
  return registry.delete(name);
}

/** The ablation registered as `name`; an OptionError naming `option` lists the known ones. */
export function getAblation(name: string, option = '--ablation'): Ablation {
  const found = registry.get(name);
  if (!found) throw new OptionError(option, `unknown ablation "${name}" (known: ${ablationNames().join(', ')})`);
  return found;
}

export function ablationNames(): string[] {
  return [...registry.keys()].sort();
}

export function listAblations(): Ablation[] {
  return ablationNames().map((n) => registry.get(n)!);
}

/** Duck-typed check, so plug-ins need no class. */
export function isAblation(value: unknown): value is Ablation {
  const v = value as Partial<Ablation> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.summary === 'string' &&
    typeof v.reference === 'string' && typeof v.replacement === 'function';
}

/**
 * A component's own seed: FNV-1a of its name mixed with the sweep seed, so each component's
 * random draws do not depend on how the engine batches ablations.
 */
export function nodeSeed(seed: number, nodeName: string): number {
  let h = 0x811c9dc5 ^ (Math.floor(seed) >>> 0);
  for (let i = 0; i < nodeName.length; i++) {
    h ^= nodeName.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
