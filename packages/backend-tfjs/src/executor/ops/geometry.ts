import { attrInts, attrString } from '@metacompress/ir';
import type { OpContext } from '../op-context';

/** Kernel geometry of a convolution or pooling node along its spatial dims. */
export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before and after each spatial dim (explicit or from `auto_pad`). */
  begin: number[];
  end: number[];
}

/**
 * Reads kernel, strides, dilations and pads of a Conv/ConvTranspose/pool node, resolving
 * `auto_pad` (SAME_UPPER puts the odd padding at the end, SAME_LOWER at the start) for
 * convolutions and pools. `ConvTranspose` reads explicit pads only (`explicitPadsOnly`) and
 * resolves `auto_pad` itself.
 *
 * @example
 * windowGeometry(ctx, [28, 28], [5, 5]); // { kernel: [5, 5], strides: [1, 1], begin: [2, 2], end: [2, 2], … }
 */
export function windowGeometry(
  ctx: OpContext,
  spatial: readonly number[],
  kernel: readonly number[],
  options: { explicitPadsOnly?: boolean } = {},
): WindowGeometry {
  const k = kernel.length;
  const strides = [...attrInts(ctx.node, 'strides', new Array<number>(k).fill(1))];
  const dilations = [...attrInts(ctx.node, 'dilations', new Array<number>(k).fill(1))];
  if (strides.length !== k || dilations.length !== k)
    ctx.invalid(`strides/dilations must have ${k} values`, 'attribute.strides');
  const autoPad = options.explicitPadsOnly ? 'NOTSET' : attrString(ctx.node, 'auto_pad', 'NOTSET');
  let begin = new Array<number>(k).fill(0);
  let end = new Array<number>(k).fill(0);
  if (autoPad === 'NOTSET') {
    const pads = attrInts(ctx.node, 'pads', new Array<number>(2 * k).fill(0));
    if (pads.length !== 2 * k)
      ctx.invalid(`pads must have ${2 * k} values, got ${pads.length}`, 'attribute.pads');
    begin = pads.slice(0, k);
    end = pads.slice(k);
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < k; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
      const small = Math.floor(total / 2);
      begin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      end[i] = total - begin[i]!;
    }
  } else if (autoPad !== 'VALID') {
    ctx.invalid(`unknown auto_pad '${autoPad}'`, 'attribute.auto_pad');
  }
  return { kernel: [...kernel], strides, dilations, begin, end };
}
