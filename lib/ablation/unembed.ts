/**
 * The unembedding side of the sweep, without materialising more logits than a measure needs.
 *
 * GPT-NeoX's unembedding has no bias: logits = x W_U with x the final-LayerNorm output [d] and
 * W_U [d, V]. So for any two final states x, y:
 *   ⟨logits(x), logits(y)⟩ = xᵀ G y,  G = W_U W_Uᵀ  [d, d]  (the Gram matrix of the unembedding,
 * "W_Uᵀ W_U" with W_U in HF's [V, d] layout), computed once per checkpoint. Cosines and norms of
 * logit vectors then cost O(d²) per position instead of O(d·V): exact, up to float32 rounding.
 * Full-vocabulary logits are only needed for the log-sum-exp of the loss (and of `kl`), and even
 * there they are never stored: the fused kernel of unembed-kernel.ts reduces each 4 × 8 tile of
 * logits while it is still in registers.
 */
import * as tf from '@tensorflow/tfjs';
import { rowLogSumExp } from './logsumexp.js';
import { UnembedLse } from './unembed-kernel.js';

/** G = W_U W_Uᵀ: [d, V] × [V, d] → [d, d]. */
export function unembedGram(WU: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(WU, tf.transpose(WU))); // [d, d]
}

interface WasmBackendLike {
  typedArrayFromHeap?: (info: { shape: number[]; dtype: string; dataId: object }) => Float32Array;
}

/**
 * The tensor's float32 values on the host. On the wasm backend this is a view into the wasm heap
 * (no copy): use it before the next TF.js call, which may grow the heap and detach the view.
 */
export function hostFloats(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function' && t.dtype === 'float32') {
    return backend.typedArrayFromHeap(t as unknown as { shape: number[]; dtype: string; dataId: object });
  }
  return t.dataSync() as Float32Array;
}

/** Fallback path only: rows of logits formed at a time ([chunk, V] float32 ≈ 51 MB for Pythia). */
export const DEFAULT_LSE_CHUNK_ROWS = 256;

/**
 * The fused kernel for the W_U in use, re-packed when the sweep moves to another matrix (or the
 * same tf.Variable was assigned new values: its dataId changes).
 */
let cached: { WU: tf.Tensor2D; dataId: object; kernel: UnembedLse | null } | null = null;

function kernelFor(WU: tf.Tensor2D): UnembedLse | null {
  if (cached?.WU !== WU || cached.dataId !== WU.dataId) {
    const [d, V] = WU.shape;
    const values = WU.dataSync() as Float32Array;
    const previous = cached?.kernel;
    if (previous && previous.d === d && previous.V === V) {
      previous.load(values); // the next checkpoint of the same model: same memory, same code
      cached = { WU, dataId: WU.dataId, kernel: previous };
    } else {
      cached = null; // let the previous kernel's memory go first
      cached = { WU, dataId: WU.dataId, kernel: UnembedLse.create(values, d, V) };
    }
  }
  return cached.kernel;
}

/**
 * log Σ_v exp((x W_U)_v) for each row of x [n, d] (the loss's normaliser). Uses the fused
 * WebAssembly kernel (unembed-kernel.ts) unless `path` is 'matmul' or the kernel is unavailable;
 * the matmul path forms logits `chunkRows` rows at a time and reduces them with logsumexp.ts.
 */
export function logitsLogSumExp(x: tf.Tensor2D, WU: tf.Tensor2D, chunkRows = DEFAULT_LSE_CHUNK_ROWS, path: 'auto' | 'matmul' = 'auto'): Float64Array {
  const [n] = x.shape;
  const kernel = path === 'auto' ? kernelFor(WU) : null;
  if (kernel) return kernel.logSumExp(x.dataSync() as Float32Array, n);
  const V = WU.shape[1];
  const out = new Float64Array(n);
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const rows = Math.min(chunkRows, n - r0);
    const logits = tf.tidy(() => tf.matMul(tf.slice(x, [r0, 0], [rows, -1]), WU)); // [rows, V]
    try {
      out.set(rowLogSumExp(hostFloats(logits), rows, V), r0);
    } finally {
      logits.dispose();
    }
  }
  return out;
}
