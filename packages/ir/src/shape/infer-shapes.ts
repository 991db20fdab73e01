import { ErrorCodes, MetacompressError, isMetacompressError } from '@metacompress/core';
import type { Dim, Graph, GraphBody, Node, ValueInfo } from '../graph';
import { nodeLabel } from '../graph-index';
import { shapeRuleFor } from './registry';
import { tensorValueShape } from './rules/constant';
import type { ShapeContext } from './shape-rule';
import type { ValueShape } from './value-shape';

/** The ONNX opset assumed when a graph imports none for the default domain. */
export const DEFAULT_OPSET = 21;

/** Default largest element count for which `value` contents are tracked. */
export const DEFAULT_MAX_VALUE_ELEMENTS = 64;

/**
 * Options of {@link inferShapes}.
 *
 * @example
 * inferShapes(graph, { batchSize: 1, inputShapes: { image: [1, 3, 224, 224] } });
 */
export interface InferShapesOptions {
  /** Replaces the declared shape of named graph inputs. */
  inputShapes?: Record<string, readonly Dim[]>;
  /** Substitutes a symbolic or unknown first dim of every graph input (after `inputShapes`). */
  batchSize?: number;
  /** The model file, named in error details. */
  file?: string;
  /** Throw `MC_UNSUPPORTED_OP` for ops without a shape rule instead of using declared shapes. */
  strict?: boolean;
  /** Largest tensor whose contents are tracked in `value` (default 64 elements). */
  maxValueElements?: number;
  /**
   * Fill what inference leaves unknown from declared value_info and graph-output types (default
   * true). Constant folding turns this off so that it never bakes in a stale declaration.
   */
  useValueInfo?: boolean;
}

function declaredShape(info: ValueInfo | undefined): ValueShape | undefined {
  const t = info?.type;
  if (!t || t.kind !== 'tensor') return undefined;
  return { dataType: t.elemType, shape: t.shape };
}

/** Fills what inference left unknown from the declared type (inferred facts win). */
function merge(inferred: ValueShape | undefined, declared: ValueShape | undefined): ValueShape | undefined {
  if (!inferred) return declared;
  if (!declared) return inferred;
  const dataType = inferred.dataType || declared.dataType;
  let shape = inferred.shape ?? declared.shape;
  if (
    inferred.shape &&
    declared.shape &&
    inferred.shape.length === declared.shape.length &&
    inferred.shape.some((d) => d === null)
  ) {
    shape = inferred.shape.map((d, i) => d ?? declared.shape![i]);
  }
  return { ...inferred, dataType, shape };
}

function checkDims(dims: readonly Dim[], field: string, file?: string): void {
  if (!Array.isArray(dims))
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'expected an array of dims', { field, file });
  for (const d of dims) {
    const ok =
      d === null || typeof d === 'string' || (typeof d === 'number' && Number.isInteger(d) && d >= 0);
    if (!ok)
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `invalid dim ${String(d)} in [${dims.join(', ')}]`,
        { field, file },
      );
  }
}

/**
 * Whether initializers listed among graph inputs may be overridden by feeds (IR version ≥ 4, as
 * onnxruntime decides); before that every initializer is a constant.
 *
 * @example
 * initializersOverridable(graph); // true for IR version 8
 */
export function initializersOverridable(graph: Graph | GraphBody): boolean {
  return !('model' in graph && graph.model) || graph.model.irVersion >= 4;
}

/** Opset versions a graph imports, by domain ('' for ONNX). */
function opsetsOf(graph: Graph | GraphBody): Map<string, number> {
  const imports = 'model' in graph && graph.model ? graph.model.opsetImports : [];
  const map = new Map<string, number>();
  for (const o of imports) map.set(o.domain === 'ai.onnx' ? '' : o.domain, o.version);
  return map;
}

/**
 * Infers the type, shape and (for small constant tensors) contents of every value of a graph:
 * graph inputs, initializers and node outputs, following ONNX semantics for opsets 7–21.
 *
 * Nodes are visited in order (ONNX graphs are topologically sorted). Ops without a rule — built-in
 * or registered with {@link registerShapeRule} — take their declared value_info / graph-output types,
 * or stay unknown (absent from the map); with `strict` they throw `MC_UNSUPPORTED_OP`. Facts that
 * contradict each other (a Conv weight that does not match its input's channels, a Gemm/MatMul
 * inner-dimension mismatch, a BatchNormalization parameter of the wrong length, a Concat of
 * different ranks, a Reshape to an impossible size) throw `MC_SHAPE_MISMATCH` naming the node, its
 * op type, the field and the file. Declared value_info fills dims inference leaves unknown but never
 * overrides inferred ones (rewrites leave declared shapes stale).
 *
 * @example
 * const shapes = inferShapes(graph, { batchSize: 1 });
 * shapes.get('conv1_out'); // { dataType: 1, shape: [1, 6, 28, 28] }
 * shapes.get('flatten_shape')?.value; // [1, 400]
 */
export function inferShapes(
  graph: Graph | GraphBody,
  options: InferShapesOptions = {},
): Map<string, ValueShape> {
  const { file, strict = false } = options;
  const limit = options.maxValueElements ?? DEFAULT_MAX_VALUE_ELEMENTS;
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `batchSize must be a positive integer, got ${options.batchSize}`,
      { field: 'batchSize', file },
    );
  }
  const opsets = opsetsOf(graph);
  const defaultOpset = opsets.get('') ?? DEFAULT_OPSET;
  const shapes = new Map<string, ValueShape>();
  const declared = new Map<string, ValueShape>();
  for (const info of options.useValueInfo === false ? [] : [...graph.valueInfo, ...graph.outputs]) {
    const d = declaredShape(info);
    if (d) declared.set(info.name, d);
  }
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const canOverride = initializersOverridable(graph);
  for (const name of Object.keys(options.inputShapes ?? {})) {
    if (!inputNames.has(name)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `inputShapes names '${name}', which is not a graph input (inputs: ${[...inputNames].join(', ')})`,
        {
          field: `inputShapes.${name}`,
          file,
        },
      );
    }
    checkDims(options.inputShapes![name], `inputShapes.${name}`, file);
  }
  for (const t of graph.initializers) {
    // from IR version 4, an initializer that is also a graph input is only a default: not constant
    shapes.set(
      t.name,
      canOverride && inputNames.has(t.name)
        ? { dataType: t.dataType, shape: [...t.dims] }
        : tensorValueShape(t, limit),
    );
  }
  for (const input of graph.inputs) {
    const fromInit = shapes.get(input.name);
    if (fromInit && !canOverride) continue; // IR < 4 lists every initializer as an input: still a constant
    const decl = declaredShape(input);
    let shape = options.inputShapes?.[input.name] ?? fromInit?.shape ?? decl?.shape;
    if (shape && shape.length > 0 && options.batchSize !== undefined && typeof shape[0] !== 'number')
      shape = [options.batchSize, ...shape.slice(1)];
    const dataType = fromInit?.dataType ?? decl?.dataType ?? 0;
    if (shape || dataType) shapes.set(input.name, { dataType, shape });
  }
  graph.nodes.forEach((node, index) => {
    const outputs = inferNode(node, index, shapes, declared, { file, strict, limit, opsets, defaultOpset });
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const v = merge(outputs[i], declared.get(name));
      if (v && (v.dataType || v.shape)) shapes.set(name, v);
      else shapes.delete(name);
    });
  });
  return shapes;
}

interface RunOptions {
  file?: string;
  strict: boolean;
  limit: number;
  opsets: Map<string, number>;
  defaultOpset: number;
}

function inferNode(
  node: Node,
  index: number,
  shapes: Map<string, ValueShape>,
  declared: Map<string, ValueShape>,
  run: RunOptions,
): readonly (ValueShape | undefined)[] {
  const label = nodeLabel(node, index);
  const where = { node: label, opType: node.opType, file: run.file };
  const domain = node.domain === 'ai.onnx' ? '' : node.domain;
  const rule = shapeRuleFor(node.opType, domain);
  if (!rule) {
    if (run.strict) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        `no shape rule for ${domain ? `${domain}.` : ''}${node.opType} (register one with registerShapeRule)`,
        where,
      );
    }
    return [];
  }
  const ctx: ShapeContext = {
    opset: (domain === '' ? run.defaultOpset : run.opsets.get(domain)) ?? 1,
    opsetOf: (d) => (d === '' || d === 'ai.onnx' ? run.defaultOpset : run.opsets.get(d)),
    label,
    file: run.file,
    maxValueElements: run.limit,
    declared: (i) => (node.outputs[i] ? declared.get(node.outputs[i]) : undefined),
    wantsValue: (count) => count !== undefined && count <= run.limit,
    fail: (field, reason) => {
      throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `${node.opType} '${label}': ${reason}`, {
        ...where,
        field,
      });
    },
  };
  const inputs = node.inputs.map((name) => (name ? shapes.get(name) : undefined));
  let result: unknown;
  try {
    result = rule(node, inputs, ctx);
  } catch (e) {
    if (isMetacompressError(e)) throw e.withDetails(where);
    throw new MetacompressError(
      ErrorCodes.MODEL_INVALID,
      `shape rule of ${node.opType} failed: ${e instanceof Error ? e.message : String(e)}`,
      where,
      { cause: e },
    );
  }
  if (!Array.isArray(result)) {
    throw new MetacompressError(
      ErrorCodes.PLUGIN_INVALID,
      `the shape rule of ${node.opType} returned ${typeof result}, not an array`,
      where,
    );
  }
  return result as (ValueShape | undefined)[];
}
