/**
 * The gradient of `tf.gather` is `tf.unsortedSegmentSum`, whose kernel (UnsortedSegmentSum)
 * tfjs-backend-wasm 4.22 does not have, so backpropagating through an embedding lookup fails on
 * wasm with "Kernel 'UnsortedSegmentSum' not registered". This registers one for wasm: a plain
 * host loop adding each row of x into its segment in index order (float32 accumulation, so the
 * result is deterministic and equals the cpu backend's up to float32 rounding order).
 *
 * The segment sum of an embedding gradient is small (tokens × d_model additions), so a host loop
 * costs little next to the matmuls; bench/train.bench.ts compares it with the alternatives.
 */
import * as tf from '@tensorflow/tfjs';

export const UNSORTED_SEGMENT_SUM = 'UnsortedSegmentSum';

interface WasmLikeBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array | Int32Array): tf.TensorInfo;
}

/**
 * out[s, ...] = Σ over i with segmentIds[i] = s of x[i, ...]; ids outside [0, numSegments) are
 * dropped (TensorFlow's semantics). Exported for tests.
 */
export function unsortedSegmentSumHost(x: ArrayLike<number>, xShape: number[], segmentIds: ArrayLike<number>, idsRank: number, numSegments: number, dtype: 'float32' | 'int32'): { values: Float32Array | Int32Array; shape: number[] } {
  const rest = xShape.slice(idsRank);
  const inner = rest.reduce((a, b) => a * b, 1);
  const out = dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < segmentIds.length; i++) {
    const s = segmentIds[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j];
  }
  return { values: out, shape: [numSegments, ...rest] };
}

/**
 * Register the kernel on wasm if that backend is loaded and lacks it. Returns true when a kernel
 * is available afterwards (registered now or before).
 */
export function ensureWasmSegmentSumKernel(): boolean {
  if (tf.getKernel(UNSORTED_SEGMENT_SUM, 'wasm')) return true;
  if (!tf.engine().registryFactory.wasm) return false;
  tf.registerKernel({
    kernelName: UNSORTED_SEGMENT_SUM,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const be = backend as unknown as WasmLikeBackend;
      const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
      const { values, shape } = unsortedSegmentSumHost(be.readSync(x.dataId), x.shape, be.readSync(segmentIds.dataId), segmentIds.shape.length, numSegments, dtype);
      return be.makeOutput(shape, dtype, undefined, values);
    },
  });
  return true;
}
