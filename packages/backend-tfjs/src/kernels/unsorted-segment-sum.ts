import {
  UnsortedSegmentSum,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

interface WasmLikeBackend {
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
}

/**
 * `UnsortedSegmentSum` for the wasm backend (the gradient of `gather`): a linear pass in
 * JavaScript over the rows of `x`, adding each into the row its segment id names. Ids outside
 * `[0, numSegments)` are dropped, as on the cpu backend.
 *
 * @example
 * registerKernel(unsortedSegmentSumKernel('wasm'));
 */
export function unsortedSegmentSumKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = (attrs as { numSegments: number }).numSegments;
    const b = backend as unknown as WasmLikeBackend;
    const rows = util.sizeFromShape(segmentIds.shape);
    const rowShape = x.shape.slice(segmentIds.shape.length);
    const rowSize = util.sizeFromShape(rowShape);
    const xs = b.readSync(x.dataId) as ArrayLike<number>;
    const ids = b.readSync(segmentIds.dataId) as ArrayLike<number>;
    const out = b.makeOutput([numSegments, ...rowShape], x.dtype);
    const o = b.typedArrayFromHeap(out);
    o.fill(0);
    for (let r = 0; r < rows; r++) {
      const s = ids[r]!;
      if (s < 0 || s >= numSegments) continue;
      const src = r * rowSize;
      const dst = s * rowSize;
      for (let j = 0; j < rowSize; j++) o[dst + j]! += xs[src + j]!;
    }
    return out;
  };
  return { kernelName: UnsortedSegmentSum, backendName, kernelFunc };
}
