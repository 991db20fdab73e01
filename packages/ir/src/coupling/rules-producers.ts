import type { ChannelRuleContext } from './channel-rule';
import { intAttr } from './rule-helpers';

/**
 * Conv and ConvTranspose: group=1 produces new channels (weights' output axis, bias) and consumes
 * the input's channels (weights' input axis). A depthwise conv (group = input channels, one filter
 * per channel, multiplier 1) passes its input's channels through: its weights and bias follow the
 * group and its `group` attribute is rewritten. Other grouped convs are unprunable.
 */
export function convRule(ctx: ChannelRuleContext): void {
  const { node } = ctx;
  const transpose = node.opType === 'ConvTranspose';
  let x = ctx.input(0);
  const w = ctx.weight(1);
  const wt = ctx.input(1);
  if (wt) ctx.block(wt, `${node.opType} weight carries tracked channels`);
  if (!w || w.tensor.dims.length < 3) {
    if (x) ctx.block(x, `weight '${node.inputs[1]}' is not a constant`);
    return;
  }
  const dims = w.tensor.dims;
  const rank = dims.length;
  const group = intAttr(ctx, 'group', 1);
  if (x && (x.axis !== 1 || x.rank !== rank || x.span.value !== 1)) {
    ctx.block(
      x,
      `input channels must be on axis 1 of a rank-${rank} tensor (found axis ${x.axis} of rank ${x.rank})`,
    );
    x = undefined;
  }
  if (group === 1) {
    const outCount = transpose ? dims[1] : dims[0];
    const out = ctx.produce(outCount, 1, rank);
    ctx.addWeightSlice(1, transpose ? 1 : 0, out, 'output');
    if (node.inputs[2]) ctx.addWeightSlice(2, 0, out, 'bias');
    if (x) ctx.addWeightSlice(1, transpose ? 0 : 1, x, 'input');
    ctx.setOutput(0, out);
    return;
  }
  const depthwise = x !== undefined && dims[0] === group && dims[1] === 1 && x.atoms.length === group;
  if (depthwise && x) {
    ctx.addWeightSlice(1, 0, x, 'output');
    if (node.inputs[2]) ctx.addWeightSlice(2, 0, x, 'bias');
    const input = x;
    ctx.onRemove((e) => e.setAttribute('group', { type: 'int', value: e.keptCount(input) }));
    ctx.setOutput(0, x);
    return;
  }
  const outCount = transpose ? dims[1] * group : dims[0];
  const out = ctx.produce(outCount, 1, rank);
  const why =
    dims[0] === group && dims[1] === 1
      ? `depthwise ${node.opType} with channel multiplier ${outCount / group} is not supported`
      : `grouped ${node.opType} (group=${group}) must keep channels divisible by its groups; not supported`;
  ctx.block(out, why);
  if (x) ctx.block(x, why);
  ctx.setOutput(0, out);
}

/** Gemm: `Y = alpha·A'·B' + beta·C` with B constant: new channels on B's output axis and C; A's channels on B's input axis. */
export function gemmRule(ctx: ChannelRuleContext): void {
  const { node } = ctx;
  const a = ctx.input(0);
  const bt = ctx.input(1);
  const ct = ctx.input(2);
  const b = ctx.weight(1);
  if (bt || !b || b.tensor.dims.length !== 2) {
    const why = `right operand '${node.inputs[1]}' is not a constant matrix`;
    if (a) ctx.block(a, why);
    if (bt) ctx.block(bt, why);
    if (ct) ctx.block(ct, why);
    return;
  }
  const transA = intAttr(ctx, 'transA', 0);
  const transB = intAttr(ctx, 'transB', 0);
  const n = transB ? b.tensor.dims[0] : b.tensor.dims[1];
  const out = ctx.produce(n, 1, 2);
  ctx.addWeightSlice(1, transB ? 0 : 1, out, 'output');
  if (node.inputs[2]) {
    if (ct) {
      ctx.block(ct, 'Gemm bias C is computed');
      ctx.block(out, 'Gemm bias C is computed');
    } else {
      const cw = ctx.weight(2);
      const cdims = cw?.tensor.dims ?? ctx.shape(2);
      if (!cdims) ctx.block(out, `shape of bias '${node.inputs[2]}' is unknown`);
      else if (cdims.length > 0 && cdims[cdims.length - 1] !== 1) {
        if (cw && cdims[cdims.length - 1] === n) ctx.addWeightSlice(2, cdims.length - 1, out, 'bias');
        else ctx.block(out, `bias '${node.inputs[2]}' is not a constant per-channel vector`);
      }
    }
  }
  if (a) {
    if (transA || a.axis !== 1 || a.rank !== 2)
      ctx.block(a, 'Gemm reads channels only on axis 1 of A with transA=0');
    else ctx.addWeightSlice(1, transB ? 1 : 0, a, 'input');
  }
  ctx.setOutput(0, out);
}

/** MatMul with a constant 2-D right operand: new channels on its columns; the left operand's last axis on its rows. */
export function matMulRule(ctx: ChannelRuleContext): void {
  const { node } = ctx;
  const a = ctx.input(0);
  const bt = ctx.input(1);
  const b = ctx.weight(1);
  if (bt || !b || b.tensor.dims.length !== 2) {
    const why = `right operand '${node.inputs[1]}' is not a constant matrix`;
    if (a) ctx.block(a, why);
    if (bt) ctx.block(bt, why);
    return;
  }
  const rankA = a ? a.rank : ctx.shape(0)?.length;
  if (rankA === undefined) return;
  const outRank = rankA === 1 ? 1 : rankA;
  const out = ctx.produce(b.tensor.dims[1], outRank - 1, outRank);
  ctx.addWeightSlice(1, 1, out, 'output');
  if (a) {
    if (a.axis !== a.rank - 1)
      ctx.block(a, `MatMul contracts the last axis but the channels are on axis ${a.axis} of ${a.rank}`);
    else ctx.addWeightSlice(1, 0, a, 'input');
  }
  ctx.setOutput(0, out);
}
