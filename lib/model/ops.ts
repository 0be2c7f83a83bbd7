/**
 * The few tensor operations the GPT-NeoX forward pass is built from, written so that they are
 * fast on the WebAssembly backend AND differentiable on every backend (training runs the same
 * forward inside tf.variableGrads).
 *
 * Why custom gradients: on tfjs-backend-wasm only a plain 2-D matMul without transposes runs on
 * XNNPACK (about 20–30 GFLOP/s here); anything batched or transposed falls back to a scalar loop
 * (about 2 GFLOP/s), and TF.js's own matMul gradient uses exactly those transposed products. The
 * ops below therefore transpose explicitly (cheap) and multiply untransposed. Likewise GatherV2
 * is slow on wasm and its gradient kernel (UnsortedSegmentSum) is missing there, so embedding
 * rows are read with gatherND and their gradient is a scatterND (which sums duplicate rows).
 *
 * Attention's many small per-(batch, head) products are done with one depthwise convolution
 * (`channelBatchMatMul`), which XNNPACK runs as a grouped GEMM: measured 4–5× faster than the
 * batched matMul for Pythia-sized heads.
 */
import * as tf from '@tensorflow/tfjs';

/** tf.customGrad passes the inputs, then the save function. */
type CustomGradArgs = Array<tf.Tensor | tf.GradSaveFunc>;

/** y = x W (+ b): x [n, k], W [k, m], b [m] → [n, m]. */
export function linear(x: tf.Tensor2D, W: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return b ? linearWithBias(x, W, b) : linearNoBias(x, W);
}

const linearWithBias = tf.customGrad((...args: CustomGradArgs) => {
  const [x, W, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, W]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: W as tf.Tensor2D, bias: b }), // [n, m]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, Ws] = saved as tf.Tensor2D[];
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(Ws)), // dx = dy Wᵀ      [n, k]
        tf.matMul(tf.transpose(xs), dy as tf.Tensor2D), // dW = xᵀ dy      [k, m]
        tf.sum(dy, 0), //                                  db = Σ_rows dy  [m]
      ];
    },
  };
}) as (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

const linearNoBias = tf.customGrad((...args: CustomGradArgs) => {
  const [x, W, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, W]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: W as tf.Tensor2D }), // [n, m]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, Ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(Ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as (x: tf.Tensor2D, W: tf.Tensor2D) => tf.Tensor2D;

/**
 * Rows of a table: table [v, ...rest], ids int32 [n] → [n, ...rest]. Gradient w.r.t. the table
 * is the scatter-add of dy into the selected rows (ids are not differentiable).
 */
export function gatherRows(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor {
  const indices = ids.reshape([ids.shape[0], 1]) as tf.Tensor2D; // [n, 1]
  const op = tf.customGrad((...args: CustomGradArgs) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    // Saved (kept by the engine), because the caller's tidy disposes `indices` before backprop.
    save([indices]);
    return {
      value: tf.gatherND(t, indices), // [n, ...rest]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0], dy, t.shape), // [v, ...rest], duplicates summed
    };
  });
  return op(table);
}

/**
 * Many independent small matrix products at once, channels last:
 * a [m, k, c] and b [k, c, l] → out [m, c, l] with out[:, i, :] = a[:, :, i] · b[:, i, :].
 *
 * Computed as one depthwise convolution: input a as an image [1, m, k] with c channels, filter b
 * [1, k] per channel with channel multiplier l, 'valid' padding, so the filter spans the k axis
 * and each output pixel is a dot product over k. The output channel index is i·l + j, i.e.
 * [m, 1, c·l] → [m, c, l]. The gradient is two more such products (see below), so this is as
 * differentiable as a matMul on every backend.
 */
export const channelBatchMatMul = tf.customGrad((...args: CustomGradArgs) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: rawChannelBatchMatMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as tf.Tensor3D[];
      // da[m, k, i] = Σ_l dy[m, i, l] b[k, i, l]: product of dy as [m, l, i] with b as [l, i, k]
      const da = tf.transpose(
        rawChannelBatchMatMul(tf.transpose(dy, [0, 2, 1]) as tf.Tensor3D, tf.transpose(bs, [2, 1, 0])), // [m, i, k]
        [0, 2, 1],
      ); // [m, k, i]
      // db[k, i, l] = Σ_m a[m, k, i] dy[m, i, l]: product of a as [k, m, i] with dy [m, i, l]
      const db = rawChannelBatchMatMul(tf.transpose(as, [1, 0, 2]), dy as tf.Tensor3D); // [k, i, l]
      return [da, db];
    },
  };
}) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

function rawChannelBatchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [m, k, c] = a.shape;
  const [kb, cb, l] = b.shape;
  if (k !== kb || c !== cb) throw new Error(`channelBatchMatMul: shapes [${a.shape}] and [${b.shape}] do not match`);
  const image = a.reshape([1, m, k, c]) as tf.Tensor4D; //   [1, m, k, c]
  const filter = b.reshape([1, k, c, l]) as tf.Tensor4D; //  [1, k, c, l]
  return tf.depthwiseConv2d(image, filter, 1, 'valid').reshape([m, c, l]); // [1, m, 1, c·l] → [m, c, l]
}

/**
 * LayerNorm over the last axis (Ba et al. 2016, as torch.nn.LayerNorm): biased variance, eps
 * inside the square root, then the elementwise affine w, b.
 */
export function layerNorm(x: tf.Tensor, w: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true); //                        [..., 1]
  const centred = tf.sub(x, mean); //                          [..., d]
  const variance = tf.mean(tf.square(centred), -1, true); //   [..., 1]
  const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, eps))); // [..., d]
  return tf.add(tf.mul(normed, w), b);
}

/**
 * GELU with the error function (Hendrycks & Gimpel 2016), as torch.nn.functional.gelu's default
 * (not the tanh approximation): x·Φ(x), Φ the standard normal CDF.
 *
 * tf.erf on wasm is a scalar libm loop, the slowest kernel of the whole forward pass (slower than
 * the MLP matmuls), so Φ is evaluated here from fast vectorised ops: with a = |x| and
 * Q(a) = ½·erfc(a/√2) = 1 − Φ(a), GELU(x) = relu(x) − a·Q(a), and erfc by Abramowitz & Stegun
 * 7.1.26, erfc(u) = t(a₁ + t(a₂ + t(a₃ + t(a₄ + t·a₅))))·e^(−u²), t = 1/(1 + p·u), |error| ≤ 1.5e-7
 * (the formula TF.js's own CPU backend uses for tf.erf). e^(−a²/2) comes from elu, which is
 * vectorised on wasm where exp is not. The result stays within a few float32 ulps of the exact
 * GELU (max |error| ≈ 5e-7 for |x| ≤ 10; the tanh approximation is off by up to 1e-3).
 * The gradient is the exact derivative Φ(x) + x·φ(x), from the same pieces.
 */
export const gelu = tf.customGrad((...args: CustomGradArgs) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const a = tf.abs(x);
  const t = tf.reciprocal(tf.add(tf.mul(a, AS_P * Math.SQRT1_2), 1)); //      t = 1/(1 + p·a/√2)
  let poly = tf.mul(t, AS_A[4] / 2); //                                        ½·erfc polynomial (Horner)
  for (let i = 3; i >= 0; i--) poly = tf.mul(tf.add(poly, AS_A[i] / 2), t);
  const gauss = tf.add(tf.elu(tf.mul(tf.square(x), -0.5)), 1); //               e^(−x²/2)
  const q = tf.mul(poly, gauss); //                                            Q(|x|) = 1 − Φ(|x|)
  save([x, q, gauss]);
  return {
    value: tf.sub(tf.relu(x), tf.mul(a, q)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, qs, gs] = saved;
      const cdf = tf.where(tf.greaterEqual(xs, 0), tf.sub(1, qs), qs); //       Φ(x)
      const density = tf.mul(gs, 1 / Math.sqrt(2 * Math.PI)); //                φ(x)
      return tf.mul(dy, tf.add(cdf, tf.mul(xs, density)));
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** Abramowitz & Stegun 7.1.26 constants. */
const AS_P = 0.3275911;
const AS_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
