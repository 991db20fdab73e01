import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Node } from '../graph';
import type { ValueShape } from '../shape/value-shape';

/**
 * How an initializer feeding an input counts:
 * - `weight`: a learned tensor — its elements count as params and its bytes as storage;
 * - `storage`: bytes only (quantization scales and zero points, shape targets, axes, clip bounds);
 * - `auto` (the default): a weight when its type is float or a quantized integer type (8/4/16-bit,
 *   or int32 behind a DequantizeLinear), storage otherwise (int64 shape constants, bool, string).
 */
export type InputRole = 'weight' | 'storage' | 'auto';

/**
 * What a cost rule may ask about its node. Shapes are those of {@link inferShapes} at the batch
 * size the cost was asked for (symbolic batch dims substituted, by default with 1).
 */
export interface CostContext {
  /** The node's name, or `#index (OpType)`. */
  readonly label: string;
  /** Opset version of the node's domain. */
  readonly opset: number;
  /** What is known about the node's i-th input (undefined when omitted or unknown). */
  input(index: number): ValueShape | undefined;
  /** What is known about the node's i-th output. */
  output(index: number): ValueShape | undefined;
}

/**
 * The cost of one op kind. `macs`/`flops` return undefined when shapes are too unknown to count
 * (the node is then listed in `GraphCost.unresolved`). Ops without a rule cost 0 MACs and 0 FLOPs,
 * and their initializer inputs count with role `auto`.
 *
 * @example
 * registerCostRule('MyDense', {
 *   macs: (node, ctx) => (ctx.output(0)?.shape?.[1] as number) * (ctx.input(0)?.shape?.[1] as number),
 *   inputRoles: ['auto', 'weight', 'weight'],
 * }, 'com.example');
 */
export interface CostRule {
  /** Multiply-accumulates of one run of the node. */
  macs?(node: Node, ctx: CostContext): number | undefined;
  /** Floating-point (or integer) operations of one run of the node; an estimate, see `costOf`. */
  flops?(node: Node, ctx: CostContext): number | undefined;
  /** Role of each input (by position); missing entries are `auto`. */
  inputRoles?: readonly InputRole[] | ((node: Node) => readonly InputRole[]);
}

const custom = new Map<string, CostRule>();

function keyOf(opType: string, domain: string): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}

/**
 * Registers how an op costs (MACs, FLOPs, which inputs are weights), replacing any built-in rule
 * for it. Returns a function that removes the registration.
 *
 * @example
 * const unregister = registerCostRule('Swish', { flops: (_n, ctx) => 4 * 100 }, 'com.example');
 * unregister();
 */
export function registerCostRule(opType: string, rule: CostRule, domain = ''): () => void {
  if (typeof opType !== 'string' || opType === '') {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'registerCostRule needs a non-empty op type', {
      field: 'opType',
    });
  }
  if (typeof rule !== 'object' || rule === null) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `the cost rule for ${opType} is not an object`, {
      opType,
      field: 'rule',
    });
  }
  const key = keyOf(opType, domain);
  const previous = custom.get(key);
  custom.set(key, rule);
  return () => {
    if (custom.get(key) !== rule) return;
    if (previous) custom.set(key, previous);
    else custom.delete(key);
  };
}

/** The registered cost rule of an op, if any (built-ins are looked up by `costOf` after these). */
export function registeredCostRule(opType: string, domain: string): CostRule | undefined {
  return custom.get(keyOf(opType, domain));
}

export { keyOf as costRuleKey };
