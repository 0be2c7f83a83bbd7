/**
 * The built-in ablations. Adding a type: write ./<name>.ts exporting an Ablation, then add its
 * registration line below (see docs/ablation.md for a worked example).
 */
import { registerAblation } from '../registry.js';
import { meanAblation } from './mean.js';
import { noiseAblation } from './noise.js';
import { resampleAblation } from './resample.js';
import { zeroAblation } from './zero.js';

registerAblation(zeroAblation, { ifAbsent: true });
registerAblation(meanAblation, { ifAbsent: true });
registerAblation(resampleAblation, { ifAbsent: true });
registerAblation(noiseAblation, { ifAbsent: true });

/** Names of the built-ins (always available, also in worker threads). */
export const BUILTIN_ABLATIONS: readonly string[] = [zeroAblation, meanAblation, resampleAblation, noiseAblation].map((a) => a.name);

export { meanAblation, noiseAblation, resampleAblation, zeroAblation };
