/**
 * Zero-ablation of model components by name, following the fixtures' conventions
 * (test/fixtures/README.md, "Ablation conventions"):
 *
 * - `L{l}H{h}`: head h of layer l — its slice of z (the attention result before the output
 *   projection) is zeroed; the dense bias b_O stays. Patch: `blocks.l.attn.hook_z`, heads [h].
 * - `L{l}MLP`: the whole MLP output of layer l, bias included. Patch: `blocks.l.hook_mlp_out`.
 * - `L{l}ATTN`: the whole attention output of layer l, all heads and b_O. Patch:
 *   `blocks.l.hook_attn_out`.
 * - `A+B` (or `A,B`): all listed components in the same forward pass.
 */
import { OptionError } from '../util/errors.js';
import type { NeoXConfig, Patch } from './types.js';

export type AblationComponent =
  | { kind: 'head'; layer: number; head: number }
  | { kind: 'mlp'; layer: number }
  | { kind: 'attn'; layer: number };

const NAME_FORMS = 'L{layer}H{head}, L{layer}MLP or L{layer}ATTN (e.g. L1H0, L0MLP, L2ATTN; join several with + or ,)';

/** Parse one component name ("L1H0", "L0MLP", "L2ATTN"; case-insensitive). */
export function parseAblationComponent(name: string, config: NeoXConfig, source = '--ablate'): AblationComponent {
  const text = name.trim();
  const m = /^L(\d+)(?:H(\d+)|(MLP)|(ATTN))$/i.exec(text);
  if (!m) throw new OptionError(source, `"${text}" is not an ablation name (expected ${NAME_FORMS})`);
  const layer = Number(m[1]);
  if (layer >= config.numLayers) {
    throw new OptionError(source, `"${text}": layer ${layer} out of range (the model has ${config.numLayers} layers, 0..${config.numLayers - 1})`);
  }
  if (m[2] !== undefined) {
    const head = Number(m[2]);
    if (head >= config.numHeads) {
      throw new OptionError(source, `"${text}": head ${head} out of range (the model has ${config.numHeads} heads per layer, 0..${config.numHeads - 1})`);
    }
    return { kind: 'head', layer, head };
  }
  return m[3] !== undefined ? { kind: 'mlp', layer } : { kind: 'attn', layer };
}

/** Parse "L1H0,L0MLP,L0H2+L1MLP" into its components (all ablated together). */
export function parseAblationComponents(spec: string, config: NeoXConfig, source = '--ablate'): AblationComponent[] {
  const names = spec.split(/[+,]/).map((s) => s.trim());
  if (spec.trim() === '' || names.some((s) => s === '')) {
    throw new OptionError(source, `empty ablation name in "${spec}" (expected ${NAME_FORMS})`);
  }
  return names.map((n) => parseAblationComponent(n, config, source));
}

/** The canonical name of a component ("L1H0", "L0MLP", "L2ATTN"). */
export function ablationComponentName(c: AblationComponent): string {
  return c.kind === 'head' ? `L${c.layer}H${c.head}` : `L${c.layer}${c.kind.toUpperCase()}`;
}

/** The zero patch that ablates one component, optionally only in some batch rows. */
export function ablationPatch(c: AblationComponent, batch?: number[]): Patch {
  const patch: Patch =
    c.kind === 'head'
      ? { hook: `blocks.${c.layer}.attn.hook_z`, value: 'zero', heads: [c.head] }
      : { hook: `blocks.${c.layer}.${c.kind === 'mlp' ? 'hook_mlp_out' : 'hook_attn_out'}`, value: 'zero' };
  if (batch !== undefined) patch.batch = batch;
  return patch;
}

/** Zero patches for every component named in `spec` ("L1H0,L0MLP,L1ATTN,L0H2+L1MLP"), one pass. */
export function parseAblationNames(spec: string, config: NeoXConfig, source = '--ablate'): Patch[] {
  return parseAblationComponents(spec, config, source).map((c) => ablationPatch(c));
}
