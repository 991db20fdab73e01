import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { GraphBody } from '../graph';
import { toFloat32, type Tensor } from '../tensor';
import { collectConstants } from './constants';
import type { ChannelSlice, CouplingGroup } from './types';

/**
 * One slice of a group with its values split per channel.
 *
 * @example
 * const [{ slice, channels }] = readGroupWeights(graph, group); // channels[j]: Float32Array
 */
export interface GroupWeightSlice {
  slice: ChannelSlice;
  /** `channels[j]`: every element of channel `j` of the slice (row-major over the other axes), as float32. */
  channels: Float32Array[];
}

/**
 * The elements of each channel of a slice of `tensor`: channel `j` is the sub-tensor at indices
 * `[offset + j·stride, offset + (j+1)·stride)` along `axis`, flattened row-major.
 *
 * @example
 * // weight [4, 2, 3, 3], output channels: four vectors of 18 values
 * channelVectors(weight, { axis: 0, offset: 0, length: 4, stride: 1 }).map((v) => v.length); // [18, 18, 18, 18]
 */
export function channelVectors(
  tensor: Tensor,
  slice: Pick<ChannelSlice, 'axis' | 'offset' | 'length' | 'stride'>,
): Float32Array[] {
  const { axis, offset, length, stride } = slice;
  const dims = tensor.dims;
  if (axis < 0 || axis >= dims.length || offset < 0 || offset + length * stride > dims[axis]) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `slice axis ${axis} [${offset}, ${offset + length * stride}) is outside tensor '${tensor.name}' of dims [${dims.join(', ')}]`,
      { field: `tensor '${tensor.name}'` },
    );
  }
  const data = toFloat32(tensor);
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i];
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  const d = dims[axis];
  const out: Float32Array[] = [];
  for (let j = 0; j < length; j++) {
    const v = new Float32Array(outer * stride * inner);
    let at = 0;
    for (let o = 0; o < outer; o++) {
      const from = (o * d + offset + j * stride) * inner;
      v.set(data.subarray(from, from + stride * inner), at);
      at += stride * inner;
    }
    out.push(v);
  }
  return out;
}

/**
 * Reads every slice of a group as per-channel vectors, so importance criteria (L1/L2 magnitude,
 * FPGM, BN scale) can aggregate a channel's score over all coupled tensors. Quantized weights
 * (behind a DequantizeLinear) are returned as their stored integers.
 *
 * @example
 * const l1 = new Float64Array(group.channels);
 * for (const { slice, channels } of readGroupWeights(graph, group)) {
 *   if (slice.role !== 'output' && slice.role !== 'input') continue;
 *   channels.forEach((v, j) => { for (const x of v) l1[j] += Math.abs(x); });
 * }
 */
export function readGroupWeights(graph: GraphBody, group: CouplingGroup): GroupWeightSlice[] {
  const constants = collectConstants(graph);
  return group.slices.map((slice) => {
    const c = constants.get(slice.tensor);
    if (!c) {
      throw new MetacompressError(
        ErrorCodes.MODEL_INVALID,
        `group tensor '${slice.tensor}' is not a constant of this graph`,
        {
          group: group.id,
          node: slice.node,
        },
      );
    }
    return { slice, channels: channelVectors(c.tensor, slice) };
  });
}
