import { attrInt, attrInts, attrString } from '../../attributes';
import { DataType } from '../../dtype';
import type { Dim, Node } from '../../graph';
import { checkSameDim } from '../dims';
import type { ShapeContext, ShapeRule } from '../shape-rule';
import type { ValueShape } from '../value-shape';

interface Window {
  kernel: readonly number[];
  strides: readonly number[];
  dilations: readonly number[];
  pads: readonly number[];
  autoPad: string;
  ceilMode: boolean;
}

function windowOf(node: Node, ctx: ShapeContext, kernel: readonly number[]): Window {
  const n = kernel.length;
  const strides = attrInts(node, 'strides', new Array(n).fill(1));
  const dilations = attrInts(node, 'dilations', new Array(n).fill(1));
  const pads = attrInts(node, 'pads', new Array(2 * n).fill(0));
  if (strides.length !== n)
    ctx.fail('attribute.strides', `has ${strides.length} values for ${n} spatial dims`);
  if (dilations.length !== n)
    ctx.fail('attribute.dilations', `has ${dilations.length} values for ${n} spatial dims`);
  if (pads.length !== 2 * n)
    ctx.fail('attribute.pads', `has ${pads.length} values for ${n} spatial dims (need ${2 * n})`);
  if (strides.some((s) => s < 1))
    ctx.fail('attribute.strides', `strides must be positive, got [${strides.join(', ')}]`);
  return {
    kernel,
    strides,
    dilations,
    pads,
    autoPad: attrString(node, 'auto_pad', 'NOTSET'),
    ceilMode: attrInt(node, 'ceil_mode', 0) !== 0,
  };
}

/**
 * Output spatial dims of a sliding window (Conv and the pools), per the ONNX formulas, with PyTorch's
 * ceil-mode rule that a window starting in the right padding is dropped (as onnxruntime does).
 */
function slidingOutput(ctx: ShapeContext, inDims: readonly Dim[], w: Window): Dim[] {
  return inDims.map((d, i) => {
    const s = w.strides[i];
    const eff = (w.kernel[i] - 1) * w.dilations[i] + 1;
    let out: Dim;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      out = typeof d === 'number' ? Math.ceil(d / s) : s === 1 ? d : null;
    } else if (w.autoPad === 'VALID') {
      out = typeof d === 'number' ? Math.ceil((d - eff + 1) / s) : s === 1 && eff === 1 ? d : null;
    } else if (w.autoPad === 'NOTSET' || w.autoPad === '') {
      const pb = w.pads[i];
      const total = pb + w.pads[i + inDims.length];
      if (typeof d === 'number') {
        const span = (d + total - eff) / s;
        out = (w.ceilMode ? Math.ceil(span) : Math.floor(span)) + 1;
        if (w.ceilMode && (out - 1) * s >= d + pb) out -= 1;
      } else out = s === 1 && total === eff - 1 ? d : null;
    } else {
      ctx.fail('attribute.auto_pad', `unknown auto_pad '${w.autoPad}'`);
    }
    if (typeof out === 'number' && out < 1) {
      ctx.fail(
        'input[0]',
        `spatial dim ${i} of size ${d} gives an output of size ${out} (kernel ${w.kernel[i]}, dilation ${w.dilations[i]}, stride ${s})`,
      );
    }
    return out;
  });
}

interface ConvInputs {
  x: ValueShape | undefined;
  w: ValueShape | undefined;
  b: ValueShape | undefined;
  /** Input positions of W and B, for error fields. */
  wIndex: number;
  bIndex: number;
}

function convShape(node: Node, ctx: ShapeContext, p: ConvInputs, dataType: number): ValueShape {
  const xs = p.x?.shape;
  const ws = p.w?.shape;
  const group = attrInt(node, 'group', 1);
  if (group < 1) ctx.fail('attribute.group', `group must be ≥ 1, got ${group}`);
  const wField = `input[${p.wIndex}]`;
  if (xs && xs.length < 3)
    ctx.fail('input[0]', `expected an input of rank ≥ 3 (N, C, spatial...), got rank ${xs.length}`);
  if (xs && ws && ws.length !== xs.length) {
    ctx.fail(wField, `weight has rank ${ws.length} but the input has rank ${xs.length}`);
  }
  if (xs && ws && typeof xs[1] === 'number' && typeof ws[1] === 'number' && xs[1] !== ws[1] * group) {
    ctx.fail(
      'W.dims[1]',
      `input has ${xs[1]} channels but the weight (${wField}) expects ${ws[1]} × group ${group} = ${ws[1] * group} (W dims [${ws.join(', ')}])`,
    );
  }
  const m = ws?.[0] ?? null;
  if (typeof m === 'number' && m % group !== 0)
    ctx.fail('W.dims[0]', `${m} output channels are not divisible by group ${group}`);
  const bs = p.b?.shape;
  if (bs && bs.length !== 1) ctx.fail(`input[${p.bIndex}]`, `bias must be 1-D, got rank ${bs.length}`);
  if (bs) checkSameDim(bs[0], m, (f, r) => ctx.fail(f, r), 'B.dims[0]', 'bias length vs output channels');
  const nSpatial = xs ? xs.length - 2 : ws ? ws.length - 2 : undefined;
  let kernel = attrInts(node, 'kernel_shape');
  if (!kernel && ws && ws.slice(2).every((d) => typeof d === 'number')) kernel = ws.slice(2) as number[];
  if (nSpatial === undefined) return { dataType };
  if (!xs) return { dataType, shape: [null, m, ...new Array(nSpatial).fill(null)] };
  if (!kernel) return { dataType, shape: [xs[0], m, ...new Array(nSpatial).fill(null)] };
  if (kernel.length !== nSpatial)
    ctx.fail('attribute.kernel_shape', `has ${kernel.length} values for ${nSpatial} spatial dims`);
  const spatial = slidingOutput(ctx, xs.slice(2), windowOf(node, ctx, kernel));
  return { dataType, shape: [xs[0], m, ...spatial] };
}

function convTransposeShape(
  node: Node,
  ctx: ShapeContext,
  x: ValueShape | undefined,
  w: ValueShape | undefined,
  b: ValueShape | undefined,
): ValueShape {
  const dataType = x?.dataType ?? w?.dataType ?? 0;
  const xs = x?.shape;
  const ws = w?.shape;
  const group = attrInt(node, 'group', 1);
  if (xs && xs.length < 3)
    ctx.fail('input[0]', `expected an input of rank ≥ 3 (N, C, spatial...), got rank ${xs.length}`);
  if (xs && ws && ws.length !== xs.length)
    ctx.fail('input[1]', `weight has rank ${ws.length} but the input has rank ${xs.length}`);
  if (xs && ws)
    checkSameDim(xs[1], ws[0], (f, r) => ctx.fail(f, r), 'W.dims[0]', 'input channels vs weight dim 0');
  const m = ws && typeof ws[1] === 'number' ? ws[1] * group : null;
  const bs = b?.shape;
  if (bs) checkSameDim(bs[0], m, (f, r) => ctx.fail(f, r), 'B.dims[0]', 'bias length vs output channels');
  if (!xs) return { dataType };
  const nSpatial = xs.length - 2;
  let kernel = attrInts(node, 'kernel_shape');
  if (!kernel && ws && ws.slice(2).every((d) => typeof d === 'number')) kernel = ws.slice(2) as number[];
  const outputShape = attrInts(node, 'output_shape');
  if (outputShape) {
    const spatial = outputShape.length === nSpatial + 2 ? outputShape.slice(2) : outputShape;
    if (spatial.length !== nSpatial)
      ctx.fail('attribute.output_shape', `has ${outputShape.length} values for ${nSpatial} spatial dims`);
    return { dataType, shape: [xs[0], m, ...spatial] };
  }
  if (!kernel) return { dataType, shape: [xs[0], m, ...new Array(nSpatial).fill(null)] };
  const win = windowOf(node, ctx, kernel);
  const outPad = attrInts(node, 'output_padding', new Array(nSpatial).fill(0));
  const spatial = xs.slice(2).map((d, i): Dim => {
    if (typeof d !== 'number') return null;
    const s = win.strides[i];
    if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') return d * s;
    const eff = (kernel[i] - 1) * win.dilations[i] + 1;
    const pads = win.autoPad === 'VALID' ? 0 : win.pads[i] + win.pads[i + nSpatial];
    const out = s * (d - 1) + outPad[i] + eff - pads;
    if (out < 1) ctx.fail('input[0]', `spatial dim ${i} of size ${d} gives an output of size ${out}`);
    return out;
  });
  return { dataType, shape: [xs[0], m, ...spatial] };
}

function poolShape(node: Node, ctx: ShapeContext, x: ValueShape | undefined, dataType: number): ValueShape {
  const xs = x?.shape;
  if (!xs) return { dataType };
  if (xs.length < 3)
    ctx.fail('input[0]', `expected an input of rank ≥ 3 (N, C, spatial...), got rank ${xs.length}`);
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel) ctx.fail('attribute.kernel_shape', 'missing (required for pooling)');
  if (kernel.length !== xs.length - 2)
    ctx.fail('attribute.kernel_shape', `has ${kernel.length} values for ${xs.length - 2} spatial dims`);
  return { dataType, shape: [xs[0], xs[1], ...slidingOutput(ctx, xs.slice(2), windowOf(node, ctx, kernel))] };
}

function globalPool(x: ValueShape | undefined, dataType?: number): ValueShape | undefined {
  if (!x) return undefined;
  const xs = x.shape;
  return { dataType: dataType ?? x.dataType, shape: xs && [xs[0], xs[1], ...xs.slice(2).map(() => 1)] };
}

/** Conv, ConvTranspose, the quantized convs and the pools. */
export function convRules(): Record<string, ShapeRule> {
  return {
    Conv: (node, [x, w, b], ctx) => [
      convShape(node, ctx, { x, w, b, wIndex: 1, bIndex: 2 }, x?.dataType ?? w?.dataType ?? 0),
    ],
    'com.microsoft:FusedConv': (node, [x, w, b], ctx) => [
      convShape(node, ctx, { x, w, b, wIndex: 1, bIndex: 2 }, x?.dataType ?? 0),
    ],
    ConvInteger: (node, [x, w], ctx) => [
      convShape(node, ctx, { x, w, b: undefined, wIndex: 1, bIndex: -1 }, DataType.INT32),
    ],
    QLinearConv: (node, inputs, ctx) => [
      convShape(
        node,
        ctx,
        { x: inputs[0], w: inputs[3], b: inputs[8], wIndex: 3, bIndex: 8 },
        inputs[7]?.dataType ?? inputs[0]?.dataType ?? DataType.UINT8,
      ),
    ],
    ConvTranspose: (node, [x, w, b], ctx) => [convTransposeShape(node, ctx, x, w, b)],
    MaxPool: (node, [x], ctx) => {
      const y = poolShape(node, ctx, x, x?.dataType ?? 0);
      return [y, { dataType: DataType.INT64, shape: y.shape }];
    },
    AveragePool: (node, [x], ctx) => [poolShape(node, ctx, x, x?.dataType ?? 0)],
    LpPool: (node, [x], ctx) => [poolShape(node, ctx, x, x?.dataType ?? 0)],
    'com.microsoft:QLinearAveragePool': (node, inputs, ctx) => [
      poolShape(node, ctx, inputs[0], inputs[4]?.dataType ?? inputs[0]?.dataType ?? 0),
    ],
    GlobalAveragePool: (_node, [x]) => [globalPool(x)],
    GlobalMaxPool: (_node, [x]) => [globalPool(x)],
    GlobalLpPool: (_node, [x]) => [globalPool(x)],
    'com.microsoft:QLinearGlobalAveragePool': (node, inputs) =>
      node.attributes.channels_last?.value
        ? [undefined]
        : [globalPool(inputs[0], inputs[4]?.dataType ?? inputs[0]?.dataType)],
  };
}
