/**
 * Choosing the TensorFlow.js backend.
 *
 * - `wasm` (default): @tensorflow/tfjs-backend-wasm with SIMD; single-threaded in Node, so
 *   cntlens uses worker threads (one backend instance each) to use several cores.
 * - `node-gpu`, `node`: @tensorflow/tfjs-node-gpu / @tensorflow/tfjs-node, optional dependencies
 *   whose install downloads libtensorflow; where that failed they are simply absent.
 * - `cpu`: the pure-JavaScript backend, always there, about 25× slower than wasm here.
 * - `auto`: the first of node-gpu, node, wasm, cpu that loads.
 *
 * The choice comes from `--backend`, else the environment variable CNTLENS_BACKEND, else `wasm`.
 * A backend that was asked for by name and fails to load falls back to the next in the `auto`
 * order, with a warning. The backend in use is printed once (to stderr), unless quiet.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../util/errors.js';
import { memoryLimit, WASM_TENSOR_LIMIT, type MemoryLimit } from '../util/resources.js';

export const BACKEND_NAMES = ['auto', 'wasm', 'node-gpu', 'node', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const DEFAULT_BACKEND: BackendName = 'wasm';
export const BACKEND_ENV_VAR = 'CNTLENS_BACKEND';

const FALLBACK_ORDER: Exclude<BackendName, 'auto'>[] = ['node-gpu', 'node', 'wasm', 'cpu'];

let announced = false;
let initialised: string | null = null;

export function parseBackendName(value: string, source = '--backend'): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new OptionError(source, `unknown backend "${value}" (choose one of ${BACKEND_NAMES.join(', ')})`);
}

/** The backend asked for: the explicit value, else $CNTLENS_BACKEND, else the default. */
export function requestedBackend(explicit?: string): BackendName {
  if (explicit) return parseBackendName(explicit);
  const env = process.env[BACKEND_ENV_VAR];
  if (env) return parseBackendName(env, `$${BACKEND_ENV_VAR}`);
  return DEFAULT_BACKEND;
}

async function tryLoad(name: Exclude<BackendName, 'auto'>): Promise<boolean> {
  try {
    switch (name) {
      case 'wasm': {
        await import('@tensorflow/tfjs-backend-wasm');
        return await tf.setBackend('wasm');
      }
      case 'node-gpu': {
        await import(/* optional */ '@tensorflow/tfjs-node-gpu' as string);
        return await tf.setBackend('tensorflow');
      }
      case 'node': {
        await import(/* optional */ '@tensorflow/tfjs-node' as string);
        return await tf.setBackend('tensorflow');
      }
      case 'cpu':
        return await tf.setBackend('cpu');
    }
  } catch {
    return false;
  }
}

/**
 * Initialise TensorFlow.js once per process (or worker thread) and return the backend in use.
 * Later calls return the same backend without reloading.
 */
export async function initBackend(options: { backend?: string; quiet?: boolean } = {}): Promise<string> {
  if (initialised) return initialised;
  const wanted = requestedBackend(options.backend);
  const order = wanted === 'auto' ? FALLBACK_ORDER : [wanted, ...FALLBACK_ORDER.slice(FALLBACK_ORDER.indexOf(wanted) + 1)];
  for (const name of order) {
    if (await tryLoad(name)) {
      await tf.ready();
      initialised = tf.getBackend();
      if (!options.quiet && !announced) {
        const fellBack = wanted !== 'auto' && name !== wanted ? ` (requested "${wanted}" did not load)` : '';
        const simd = initialised === 'wasm' ? (tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ', SIMD' : ', no SIMD') : '';
        process.stderr.write(`cntlens: TensorFlow.js backend ${initialised}${simd}${fellBack}\n`);
        announced = true;
      }
      return initialised;
    }
  }
  throw new Error('initBackend: no TensorFlow.js backend could be loaded (not even cpu)');
}

/**
 * The limit on tensor memory: the memory limit (lib/util/resources.ts), and with the wasm backend
 * its one WebAssembly memory of at most 4 GiB, whatever the machine has.
 */
export function tensorLimit(limit: MemoryLimit = memoryLimit()): MemoryLimit {
  let backend: string | null = null;
  try {
    backend = tf.getBackend() ?? null;
  } catch {
    backend = null;
  }
  if (backend !== 'wasm' || WASM_TENSOR_LIMIT >= limit.bytes) return limit;
  return { bytes: WASM_TENSOR_LIMIT, source: 'the wasm backend keeps every tensor in one WebAssembly memory of at most 4 GiB; --backend node or node-gpu has no such limit' };
}
