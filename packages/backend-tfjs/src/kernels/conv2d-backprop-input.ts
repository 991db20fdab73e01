import {
  Conv2DBackpropInput,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, type ConvGeometry } from './conv-geometry';
import { compose, type KernelComposer } from './kernel-composer';

interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
  /** Not set by tfjs-core (its gradient refuses dilated convolutions); honoured when present. */
  dilations?: number | [number, number];
}

/** How one spatial axis of the input gradient is computed (see {@link conv2DBackpropInputKernel}). */
interface AxisPlan {
  /** Forward stride: the number of output phases interleaved along this axis. */
  stride: number;
  /** Phases that have filter taps (`min(stride, dilated filter size)`); the others are zero. */
  phases: number;
  /** Filter taps per phase (the sub-pixel filter's size along this axis). */
  taps: number;
  /** Dilation of the sub-pixel convolution (the forward dilation at stride 1, else 1). */
  dilation: number;
  /** Zeros between filter taps inserted before splitting into phases (the dilation at stride > 1, else 1). */
  zeroDilation: number;
  /** Size of the forward filter after zero-dilation (`(k−1)·d+1` at stride > 1, else k). */
  filterSize: number;
  /** Zeros in front of the (dilated) filter that align the forward padding with whole phases. */
  shift: number;
  /** Padding of `dy` before/after (negative: crop). */
  padBefore: number;
  padAfter: number;
  /** Leading rows of the interleaved result to drop, and rows to keep (the input size). */
  cropBefore: number;
  size: number;
}

function axisPlan(
  inSize: number,
  outSize: number,
  k: number,
  stride: number,
  dilation: number,
  padBefore: number,
): AxisPlan {
  if (stride === 1) {
    const reach = (k - 1) * dilation;
    const before = reach - padBefore;
    return {
      stride,
      phases: 1,
      taps: k,
      dilation,
      zeroDilation: 1,
      filterSize: k,
      shift: 0,
      padBefore: before,
      padAfter: inSize + reach - before - outSize,
      cropBefore: 0,
      size: inSize,
    };
  }
  // Sub-pixel form: input row t = i + pad = q·s + r receives dy[q − j]·W[r + j·s] for every j.
  // `shift` zeros in front of the filter make the padding a whole number of phases (so no row
  // of the interleaved result needs dropping in front) when that costs no extra tap.
  const filterSize = (k - 1) * dilation + 1;
  const lead = (stride - (padBefore % stride)) % stride;
  const shift = Math.ceil((filterSize + lead) / stride) === Math.ceil(filterSize / stride) ? lead : 0;
  const span = filterSize + shift;
  const taps = Math.ceil(span / stride);
  const pad = padBefore + shift;
  const q0 = Math.floor(pad / stride);
  const rows = Math.ceil((inSize + pad) / stride) - q0;
  const before = taps - 1 - q0;
  return {
    stride,
    phases: Math.min(stride, span),
    taps,
    dilation: 1,
    zeroDilation: dilation,
    filterSize,
    shift,
    padBefore: before,
    padAfter: rows + taps - 1 - before - outSize,
    cropBefore: pad - q0 * stride,
    size: inSize,
  };
}

/**
 * For tap `j` (of `taps`) and phase `r` of an axis, the forward filter tap it holds, or −1 for a
 * zero: position `r + (taps−1−j)·s − shift` of the zero-dilated filter (flipped along the taps).
 */
function sourceTap(p: AxisPlan, j: number, r: number): number {
  const u = r + (p.taps - 1 - j) * p.stride - p.shift;
  if (u < 0 || u >= p.filterSize || u % p.zeroDilation !== 0) return -1;
  return u / p.zeroDilation;
}

/**
 * The sub-pixel filter `[TH, TW, Co, PH·PW·Ci]` (see {@link sourceTap}): a stride-1 correlation of
 * `dy` with it gives every phase of the input gradient at once. Built on the host from the filter's
 * values (a small gather; the backend's generic 6-D transpose and reverse cost ~100 ns per element).
 */
function subPixelFilter(k: KernelComposer, filter: TensorInfo, h: AxisPlan, w: AxisPlan): TensorInfo {
  const [, kw, ci, co] = filter.shape as [number, number, number, number];
  const src = k.backend.readSync(filter.dataId) as Float32Array;
  const out = new Float32Array(h.taps * w.taps * co * h.phases * w.phases * ci);
  const phases = h.phases * w.phases;
  for (let jh = 0; jh < h.taps; jh++) {
    for (let jw = 0; jw < w.taps; jw++) {
      for (let rh = 0; rh < h.phases; rh++) {
        const th = sourceTap(h, jh, rh);
        if (th < 0) continue;
        for (let rw = 0; rw < w.phases; rw++) {
          const tw = sourceTap(w, jw, rw);
          if (tw < 0) continue;
          // out[jh, jw, o, rh, rw, i] = W[th, tw, i, o]
          const base = (jh * w.taps + jw) * co * phases * ci + (rh * w.phases + rw) * ci;
          const from = (th * kw + tw) * ci * co;
          for (let i = 0; i < ci; i++) {
            const row = from + i * co;
            for (let o = 0; o < co; o++) out[base + o * phases * ci + i] = src[row + o]!;
          }
        }
      }
    }
  }
  return k.constant(out, [h.taps, w.taps, co, h.phases * w.phases * ci]);
}

/** Both axis plans of a convolution's input gradient. */
function plans(g: ConvGeometry): [AxisPlan, AxisPlan] {
  return [
    axisPlan(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.dilationHeight, g.padTop),
    axisPlan(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.dilationWidth, g.padLeft),
  ];
}

/**
 * The input gradient of an NHWC convolution, composed from one `Conv2D` (with slice, pad, reshape
 * and transpose around it; the filter rearranged on the host); `dy` is NHWC, `filter`
 * `[KH, KW, Ci, Co]`.
 */
function composedNhwc(k: KernelComposer, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const [h, w] = plans(g);
  const f = subPixelFilter(k, filter, h, w);
  // Crop where the plan asks for negative padding; the rest is the convolution's explicit padding.
  const cropped = k.padOrCrop(dy, [
    [0, 0],
    [Math.min(0, h.padBefore), Math.min(0, h.padAfter)],
    [Math.min(0, w.padBefore), Math.min(0, w.padAfter)],
    [0, 0],
  ]);
  const pad = [
    [0, 0],
    [Math.max(0, h.padBefore), Math.max(0, h.padAfter)],
    [Math.max(0, w.padBefore), Math.max(0, w.padAfter)],
    [0, 0],
  ];
  const r = k.run(
    'Conv2D',
    { x: cropped, filter: f },
    { strides: [1, 1], dilations: [h.dilation, w.dilation], pad, dataFormat: 'NHWC' },
  ); // [N, QH, QW, PH·PW·Ci]
  const [n, qh, qw] = r.shape as [number, number, number, number];
  const ci = g.inChannels;
  let full = r;
  if (h.stride > 1 || w.stride > 1) {
    // Interleave the phases: [N·QH, QW, PH, PW·Ci] → [N·QH, PH, QW, PW·Ci], then zero phases.
    const r4 = k.reshape(r, [n * qh, qw, h.phases, w.phases * ci]);
    const t = k.transpose(r4, [0, 2, 1, 3]);
    let grid = k.reshape(t, [n, qh, h.phases, qw, w.phases, ci]);
    grid = k.padOrCrop(grid, [
      [0, 0],
      [0, 0],
      [0, h.stride - h.phases],
      [0, 0],
      [0, w.stride - w.phases],
      [0, 0],
    ]);
    full = k.reshape(grid, [n, qh * h.stride, qw * w.stride, ci]);
  }
  return k.padOrCrop(full, [
    [0, 0],
    [-h.cropBefore, h.size + h.cropBefore - full.shape[1]!],
    [-w.cropBefore, w.size + w.cropBefore - full.shape[2]!],
    [0, 0],
  ]);
}

/** Which implementation {@link conv2DBackpropInputKernel} uses for a convolution. */
export type Conv2DBackpropInputRoute = 'composed' | 'stock';

/**
 * Forward multiply-adds per output phase (`sh·sw`) below which the backend's own kernel stays
 * faster on wasm: the composed kernel's fixed cost (building the sub-pixel filter, an XNNPACK
 * operator, the interleaving transpose) is ~10 µs at stride 1 and ~25 µs at stride 2, which the
 * stock scalar loop (~1 multiply-add per ns) spends on about 8k and 30k multiply-adds.
 * Measured with `bench/kernels.bench.ts`.
 *
 * @example
 * CONV2D_BACKPROP_INPUT_MIN_MACS; // 8192
 */
export const CONV2D_BACKPROP_INPUT_MIN_MACS = 8192;

/**
 * Picks the stock kernel or the composed one for a convolution (by its geometry, as
 * `convGeometry` gives it): the composed kernel from {@link CONV2D_BACKPROP_INPUT_MIN_MACS}
 * forward multiply-adds per output phase on, the stock one below (tiny convolutions); always the
 * composed one for dilated convolutions, which the stock wasm kernel computes as undilated.
 *
 * @example
 * const g = convGeometry([32, 28, 28, 16], [3, 3, 16, 16], 1, 1, 'same', undefined, false);
 * conv2DBackpropInputRoute(g); // 'composed'
 */
export function conv2DBackpropInputRoute(g: ConvGeometry): Conv2DBackpropInputRoute {
  if (g.dilationHeight > 1 || g.dilationWidth > 1) return 'composed';
  const macs =
    g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
  return macs >= CONV2D_BACKPROP_INPUT_MIN_MACS * g.strideHeight * g.strideWidth ? 'composed' : 'stock';
}

/**
 * `Conv2DBackpropInput` (NHWC or NCHW, any stride, SAME/VALID/numeric/explicit padding, dilation
 * when given) composed from one `Conv2D`: the transposed convolution in its sub-pixel form
 * (Shi et al. 2016, "Is the deconvolution layer the same as a convolutional layer?"). Input row
 * `t = i + pad = q·s + r` receives `Σ_j dy[q − j]·W[r + j·s]`, so every phase `r` is a stride-1
 * correlation of `dy` with the taps `r, r+s, …` of the flipped filter; the `s_h·s_w` phases share
 * one `Conv2D` (their filters side by side on the output-channel axis) and are interleaved with a
 * transpose. At stride 1 this is the familiar correlation of padded `dy` with the flipped,
 * channel-swapped filter. No zeros are inserted into `dy`, so XNNPACK's GEMM does the work without
 * the stride² wasted products of the zero-insertion form. The sub-pixel filter is gathered on the
 * host from the filter's values (small; the backend's generic 6-D transpose and reverse cost
 * ~100 ns per element). `stock`, the backend's own kernel, serves the geometries where
 * {@link conv2DBackpropInputRoute} says it is faster. On wasm this is 5–14× faster than the stock
 * scalar loop for training-sized convolutions; on cpu it is slower than the cpu's own kernel
 * (whose `Conv2D` is no faster than its backprop loop), so it is installed on wasm only.
 *
 * @example
 * registerKernel(conv2DBackpropInputKernel('wasm', getKernel('Conv2DBackpropInput', 'wasm')));
 */
export function conv2DBackpropInputKernel(backendName: string, stock?: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Attrs;
    const dataFormat = a.dataFormat ?? 'NHWC';
    const g = convGeometry(
      a.inputShape,
      filter.shape,
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      false,
      dataFormat,
    );
    if (stock && conv2DBackpropInputRoute(g) === 'stock') {
      // The stock wasm kernel needs `dataFormat` spelled out (tfjs-core's ops always do).
      return stock.kernelFunc({ ...args, attrs: { ...args.attrs, dataFormat } });
    }
    return compose(backend, backendName, (k) => {
      if (dataFormat === 'NHWC') return composedNhwc(k, dy, filter, g);
      const out = composedNhwc(k, k.transpose(dy, [0, 2, 3, 1]), filter, g);
      return k.transpose(out, [0, 3, 1, 2]);
    });
  };
  return { kernelName: Conv2DBackpropInput, backendName, kernelFunc };
}
