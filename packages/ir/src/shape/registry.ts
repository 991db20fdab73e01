import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { builtinShapeRules } from './rules/index';
import type { ShapeRule } from './shape-rule';

const custom = new Map<string, ShapeRule>();

/** Registry key: `opType` in the default domain (`''` or `ai.onnx`), `domain:opType` otherwise. */
export function ruleKey(opType: string, domain = ''): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}

/**
 * Teaches shape inference the output shapes of an op — a custom op of a plugin, or a standard op
 * whose built-in rule you want to replace. Returns a function that removes the registration
 * (restoring whatever rule was registered before).
 *
 * @example
 * const unregister = registerShapeRule('Swish', (node, [x]) => [x && { dataType: x.dataType, shape: x.shape }], 'com.example');
 * inferShapes(graph).get('swish_out'); // same shape as its input
 * unregister();
 */
export function registerShapeRule(opType: string, rule: ShapeRule, domain = ''): () => void {
  if (typeof opType !== 'string' || opType === '') {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'registerShapeRule needs a non-empty op type', {
      field: 'opType',
    });
  }
  if (typeof rule !== 'function') {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `the shape rule for ${opType} is not a function`,
      { opType, field: 'rule' },
    );
  }
  const key = ruleKey(opType, domain);
  const previous = custom.get(key);
  custom.set(key, rule);
  return () => {
    if (custom.get(key) !== rule) return;
    if (previous) custom.set(key, previous);
    else custom.delete(key);
  };
}

/**
 * The shape rule used for an op: a registered one first, then the built-in one.
 *
 * @example
 * shapeRuleFor('Conv') !== undefined; // true
 */
export function shapeRuleFor(opType: string, domain = ''): ShapeRule | undefined {
  const key = ruleKey(opType, domain);
  return custom.get(key) ?? builtinShapeRules().get(key);
}
