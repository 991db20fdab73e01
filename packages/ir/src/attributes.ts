import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Attribute, Node } from './graph';

function wrongType(node: Node, name: string, expected: string, got: Attribute): never {
  throw new MetacompressError(ErrorCodes.MODEL_INVALID, `attribute '${name}' should be ${expected}, got ${got.type}`, {
    node: node.name,
    opType: node.opType,
    field: `attribute.${name}`,
  });
}

/**
 * Reads an int attribute, or the default when absent.
 *
 * @example
 * attrInt(node, 'group', 1);
 */
export function attrInt(node: Node, name: string, fallback: number): number;
export function attrInt(node: Node, name: string): number | undefined;
export function attrInt(node: Node, name: string, fallback?: number): number | undefined {
  const a = node.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'int') wrongType(node, name, 'an int', a);
  return a.value;
}

/**
 * Reads a float attribute, or the default when absent.
 *
 * @example
 * attrFloat(node, 'epsilon', 1e-5);
 */
export function attrFloat(node: Node, name: string, fallback: number): number;
export function attrFloat(node: Node, name: string): number | undefined;
export function attrFloat(node: Node, name: string, fallback?: number): number | undefined {
  const a = node.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'float') wrongType(node, name, 'a float', a);
  return a.value;
}

/**
 * Reads an ints attribute, or the default when absent.
 *
 * @example
 * attrInts(node, 'strides', [1, 1]);
 */
export function attrInts(node: Node, name: string, fallback: readonly number[]): readonly number[];
export function attrInts(node: Node, name: string): readonly number[] | undefined;
export function attrInts(node: Node, name: string, fallback?: readonly number[]): readonly number[] | undefined {
  const a = node.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'ints') wrongType(node, name, 'ints', a);
  return a.value;
}

/**
 * Reads a floats attribute, or the default when absent.
 *
 * @example
 * attrFloats(node, 'scales', []);
 */
export function attrFloats(node: Node, name: string, fallback: readonly number[]): readonly number[];
export function attrFloats(node: Node, name: string): readonly number[] | undefined;
export function attrFloats(node: Node, name: string, fallback?: readonly number[]): readonly number[] | undefined {
  const a = node.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'floats') wrongType(node, name, 'floats', a);
  return a.value;
}

/**
 * Reads a string attribute, or the default when absent.
 *
 * @example
 * attrString(node, 'auto_pad', 'NOTSET');
 */
export function attrString(node: Node, name: string, fallback: string): string;
export function attrString(node: Node, name: string): string | undefined;
export function attrString(node: Node, name: string, fallback?: string): string | undefined {
  const a = node.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'string') wrongType(node, name, 'a string', a);
  return a.value;
}
