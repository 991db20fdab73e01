import type { ChannelRuleContext } from './channel-rule';
import { DYNAMIC, intAttr, intsFrom, normAxis } from './rule-helpers';

/** BatchNormalization / InstanceNormalization: per-channel parameters on axis 1 follow the group. */
export function normRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const { node } = ctx;
  if (x.axis !== 1)
    return ctx.block(x, `${node.opType} normalizes axis 1 but the channels are on axis ${x.axis}`);
  const params = node.opType === 'BatchNormalization' ? 4 : 2;
  for (let i = 1; i <= params; i++) ctx.addSlice(i, 0, x, 'bn');
  for (let i = 1; i < node.outputs.length; i++)
    if (node.outputs[i]) ctx.block(x, `${node.opType} training outputs are used`);
  ctx.setOutput(0, x);
}

/** LayerNormalization: scale/bias follow the channels when the channel axis is normalized. */
export function layerNormRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const { node } = ctx;
  const axis = normAxis(intAttr(ctx, 'axis', -1), x.rank);
  for (let i = 1; i < node.outputs.length; i++)
    if (node.outputs[i]) ctx.block(x, 'LayerNormalization statistics outputs are used');
  if (x.axis >= axis) {
    for (const i of [1, 2]) {
      if (!node.inputs[i]) continue;
      const dims = ctx.shape(i);
      if (!dims) {
        ctx.block(x, `shape of '${node.inputs[i]}' is unknown`);
        continue;
      }
      const k = x.axis - (x.rank - dims.length);
      if (k >= 0 && dims[k] !== 1) ctx.addSlice(i, k, x, 'param');
    }
  }
  ctx.setOutput(0, x);
}

/** Pools (and LRN): they act on axis 1 as channels. */
export function poolRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const { node } = ctx;
  if (x.axis !== 1 || x.span.value !== 1)
    return ctx.block(x, `${node.opType} expects the channels on axis 1`);
  if (node.outputs[1]) ctx.block(x, `${node.opType} indices output depends on the channel count`);
  ctx.setOutput(0, x);
}

/** QuantizeLinear / DequantizeLinear: per-axis scale and zero point on the channel axis follow the group. */
export function qdqRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const { node } = ctx;
  if (intAttr(ctx, 'block_size', 0) > 0) return ctx.block(x, 'blocked quantization is not supported');
  const axis = normAxis(intAttr(ctx, 'axis', 1), x.rank);
  const scale = ctx.shape(1);
  if (!scale) return ctx.block(x, `shape of scale '${node.inputs[1]}' is unknown`);
  const perAxis = scale.length === 1 && scale[0] !== 1;
  if (perAxis && axis === x.axis) {
    ctx.addSlice(1, 0, x, 'qparam');
    if (node.inputs[2]) ctx.addSlice(2, 0, x, 'qparam');
  }
  ctx.setOutput(0, x);
}

const REDUCE_AXES_INPUT_SINCE: Record<string, number> = { ReduceSum: 13 };

/** Reductions: over the channel axis they consume the channels (any number works); otherwise channels pass through. */
export function reduceRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const { node } = ctx;
  const keep = intAttr(ctx, 'keepdims', 1) === 1;
  let axes: number[] | undefined | typeof DYNAMIC;
  if (node.opType === 'ArgMax' || node.opType === 'ArgMin') axes = [intAttr(ctx, 'axis', 0)];
  else
    axes =
      ctx.opset >= (REDUCE_AXES_INPUT_SINCE[node.opType] ?? 18)
        ? intsFrom(ctx, 1)
        : intsFrom(ctx, -1, 'axes');
  if (axes === DYNAMIC) return ctx.block(x, 'reduction axes are computed');
  if (!axes || axes.length === 0) {
    if (intAttr(ctx, 'noop_with_empty_axes', 0) === 1) ctx.setOutput(0, x);
    return;
  }
  const norm = axes.map((a) => normAxis(a, x.rank));
  if (norm.includes(x.axis)) return;
  if (keep) return ctx.setOutput(0, x);
  const out = x.axis - norm.filter((a) => a < x.axis).length;
  ctx.setOutput(0, ctx.view(x, out, x.rank - new Set(norm).size));
}
