import {
  MaxPoolGrad,
  MaxPoolWithArgmax,
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

interface HeapBackend {
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
}

type PoolPad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

/**
 * For every output of max pooling, the flat index into `x` (batch included) of the window's
 * maximum: the first one in row-major window order, as tfjs's cpu backend picks it; `-1` for a
 * window with no number in it (all NaN or all padding).
 *
 * @example
 * const pos = maxPoolPositions(values, info); // pos.length === N·OH·OW·C
 */
export function maxPoolPositions(x: ArrayLike<number>, info: backend_util.Conv2DInfo): Int32Array {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: c,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
  } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = new Int32Array(batchSize * outHeight * outWidth * c);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const batchBase = b * inHeight * inWidth * c;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left;
        for (let ch = 0; ch < c; ch++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let dh = 0; dh < fh; dh += dilationHeight) {
            const h = h0 + dh;
            if (h < 0 || h >= inHeight) continue;
            for (let dw = 0; dw < fw; dw += dilationWidth) {
              const w = w0 + dw;
              if (w < 0 || w >= inWidth) continue;
              const i = batchBase + (h * inWidth + w) * c + ch;
              const v = x[i]!;
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          out[o++] = at;
        }
      }
    }
  }
  return out;
}

/**
 * `MaxPoolGrad` for the wasm backend. tfjs-backend-wasm 4.22's own kernel loses the gradient of
 * every window whose maximum is ≤ 0 (its running maximum starts at the smallest *positive* float),
 * so max pooling of negative or all-zero windows trains wrongly on stock wasm. This one routes
 * `dy` to the first maximum of each window, exactly as the cpu backend does.
 *
 * @example
 * registerKernel(maxPoolGradKernel('wasm'));
 */
export function maxPoolGradKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: PoolPad;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const b = backend as unknown as HeapBackend;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const positions = maxPoolPositions(b.readSync(input.dataId) as Float32Array, info);
    const dys = b.readSync(dy.dataId) as Float32Array;
    const dx = b.makeOutput(input.shape, 'float32');
    const out = b.typedArrayFromHeap(dx);
    out.fill(0);
    for (let o = 0; o < positions.length; o++) {
      const p = positions[o]!;
      if (p >= 0) out[p]! += dys[o]!;
    }
    return dx;
  };
  return { kernelName: MaxPoolGrad, backendName, kernelFunc };
}

/**
 * `MaxPoolWithArgmax` for the wasm backend (its own kernel has the same fault as its
 * `MaxPoolGrad`): pooled values and flat indexes of the first maximum of each window.
 *
 * @example
 * registerKernel(maxPoolWithArgmaxKernel('wasm'));
 */
export function maxPoolWithArgmaxKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: PoolPad;
      includeBatchInIndex: boolean;
    };
    const b = backend as unknown as HeapBackend;
    const info = backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
    );
    const values = b.readSync(x.dataId) as Float32Array;
    const positions = maxPoolPositions(values, info);
    const pooled = b.makeOutput(info.outShape, x.dtype);
    const indexes = b.makeOutput(info.outShape, 'int32');
    const pv = b.typedArrayFromHeap(pooled);
    const iv = b.typedArrayFromHeap(indexes);
    const perImage = info.inHeight * info.inWidth * info.inChannels;
    for (let o = 0; o < positions.length; o++) {
      const p = positions[o]!;
      pv[o] = p >= 0 ? values[p]! : Number.NaN;
      iv[o] = p < 0 ? -1 : a.includeBatchInIndex ? p : p % perImage;
    }
    return [pooled, indexes];
  };
  return { kernelName: MaxPoolWithArgmax, backendName, kernelFunc };
}
