import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { isObject, type KerasJson } from './model-json';

/**
 * A Keras layer as serialized: class, unique name, config (snake_case keys).
 *
 * @example
 * const layer: KerasLayer = { className: 'Dense', name: 'dense', config: { units: 10 } };
 */
export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

/**
 * A Keras tensor: output `tensor` of call `node` of layer `layer`.
 *
 * @example
 * const ref: TensorRef = { layer: 'conv1', node: 0, tensor: 0 };
 */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/**
 * One call of a layer on some tensors (a Keras "node").
 *
 * @example
 * readKerasTopology(topology).calls[0].inputs; // [{ layer: 'input_1', node: 0, tensor: 0 }]
 */
export interface LayerCall {
  layer: KerasLayer;
  /** Which call of the layer this is (0 unless the layer is shared). */
  call: number;
  inputs: TensorRef[];
}

/**
 * A Keras model reduced to what the codec needs, Sequential and functional alike: the input
 * layers, every layer call in an order where inputs come before their users, and the outputs.
 *
 * @example
 * const { inputs, calls, outputs }: KerasTopology = readKerasTopology(json.modelTopology);
 */
export interface KerasTopology {
  name: string;
  inputs: KerasLayer[];
  calls: LayerCall[];
  outputs: TensorRef[];
}

const NESTED = new Set(['Sequential', 'Model', 'Functional']);

function invalid(reason: string, file: string | undefined, field: string, layer?: KerasLayer): never {
  throw new MetacompressError(ErrorCodes.MODEL_INVALID, reason, {
    file,
    field,
    node: layer?.name,
    opType: layer?.className,
  });
}

/**
 * The key of a tensor reference, e.g. `conv1:0:0`.
 *
 * @example
 * refKey({ layer: 'conv1', node: 0, tensor: 0 }); // 'conv1:0:0'
 */
export function refKey(ref: TensorRef): string {
  return `${ref.layer}:${ref.node}:${ref.tensor}`;
}

function parseLayer(raw: unknown, file: string | undefined, field: string): KerasLayer {
  if (!isObject(raw)) invalid('a layer must be an object', file, field);
  const className = raw.class_name;
  if (typeof className !== 'string') invalid('a layer has no class_name', file, `${field}.class_name`);
  const config = isObject(raw.config) ? raw.config : {};
  const name = typeof raw.name === 'string' ? raw.name : config.name;
  if (typeof name !== 'string' || name.length === 0)
    invalid(`a ${className} layer has no name`, file, `${field}.config.name`);
  const layer = { className, name, config };
  if (NESTED.has(className)) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_OP,
      `nested model layers (${className}) are not supported; flatten the model first`,
      {
        file,
        node: name,
        opType: className,
        field,
      },
    );
  }
  return layer;
}

/**
 * The input shape a layer declares (`batch_input_shape`, Keras 3 `batch_shape`, or `input_shape`
 * without the batch), including the batch dim (null when unknown).
 *
 * @example
 * declaredInputShape({ batch_input_shape: [null, 28, 28, 1] }); // [null, 28, 28, 1]
 */
export function declaredInputShape(config: Record<string, unknown>): (number | null)[] | undefined {
  const ok = (v: unknown): v is (number | null)[] =>
    Array.isArray(v) && v.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 0));
  if (ok(config.batch_input_shape)) return [...config.batch_input_shape];
  if (ok(config.batch_shape)) return [...config.batch_shape];
  if (ok(config.input_shape)) return [null, ...config.input_shape];
  return undefined;
}

function parseRef(raw: unknown, file: string | undefined, field: string): TensorRef {
  if (
    !Array.isArray(raw) ||
    typeof raw[0] !== 'string' ||
    !Number.isInteger(raw[1]) ||
    !Number.isInteger(raw[2])
  ) {
    invalid(
      `expected a tensor reference [layer, node, tensor], got ${JSON.stringify(raw)?.slice(0, 80)}`,
      file,
      field,
    );
  }
  return { layer: raw[0], node: raw[1] as number, tensor: raw[2] as number };
}

/** Collects Keras 3 `__keras_tensor__` references in argument order. */
function collectKeras3Refs(value: unknown, out: TensorRef[], file: string | undefined, field: string): void {
  if (Array.isArray(value)) {
    for (const v of value) collectKeras3Refs(v, out, file, field);
    return;
  }
  if (!isObject(value)) return;
  if (value.class_name === '__keras_tensor__' && isObject(value.config)) {
    out.push(parseRef(value.config.keras_history, file, `${field}.keras_history`));
  }
}

function parseInboundNode(raw: unknown, file: string | undefined, field: string): TensorRef[] {
  if (Array.isArray(raw)) return raw.map((r, i) => parseRef(r, file, `${field}[${i}]`));
  if (isObject(raw)) {
    const refs: TensorRef[] = [];
    collectKeras3Refs(raw.args, refs, file, `${field}.args`);
    return refs;
  }
  invalid('an inbound node must be an array or an {args, kwargs} object', file, field);
}

function parseRefList(raw: unknown, file: string | undefined, field: string): TensorRef[] {
  if (!Array.isArray(raw)) invalid(`${field} must be an array`, file, field);
  if (typeof raw[0] === 'string') return [parseRef(raw, file, field)];
  return raw.map((r, i) => parseRef(r, file, `${field}[${i}]`));
}

function sequential(topology: KerasJson, file: string | undefined): KerasTopology {
  const config = topology.config;
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers))
    invalid('a Sequential model needs a layers array', file, 'modelTopology.config.layers');
  const layers = rawLayers.map((l, i) => parseLayer(l, file, `modelTopology.config.layers[${i}]`));
  if (layers.length === 0) invalid('the Sequential model has no layers', file, 'modelTopology.config.layers');
  let input: KerasLayer;
  let rest: KerasLayer[];
  if (layers[0].className === 'InputLayer') {
    input = layers[0];
    rest = layers.slice(1);
  } else {
    const shape = declaredInputShape(layers[0].config);
    if (!shape)
      invalid(
        'the first layer of the Sequential model declares no input shape (batch_input_shape)',
        file,
        'modelTopology.config.layers[0].config.batch_input_shape',
        layers[0],
      );
    input = {
      className: 'InputLayer',
      name: `${layers[0].name}_input`,
      config: { batch_input_shape: shape, dtype: layers[0].config.dtype ?? 'float32' },
    };
    rest = layers;
  }
  const calls: LayerCall[] = [];
  let previous: TensorRef = { layer: input.name, node: 0, tensor: 0 };
  for (const layer of rest) {
    if (layer.className === 'InputLayer')
      invalid(
        'an InputLayer in the middle of a Sequential model',
        file,
        'modelTopology.config.layers',
        layer,
      );
    calls.push({ layer, call: 0, inputs: [previous] });
    previous = { layer: layer.name, node: 0, tensor: 0 };
  }
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  return { name, inputs: [input], calls, outputs: [previous] };
}

function functional(topology: KerasJson, file: string | undefined): KerasTopology {
  const config = topology.config;
  if (!isObject(config) || !Array.isArray(config.layers))
    invalid('a functional model needs config.layers', file, 'modelTopology.config.layers');
  const inputs: KerasLayer[] = [];
  const pending: { call: LayerCall; field: string }[] = [];
  const byName = new Map<string, KerasLayer>();
  config.layers.forEach((raw, i) => {
    const field = `modelTopology.config.layers[${i}]`;
    const layer = parseLayer(raw, file, field);
    if (byName.has(layer.name)) invalid(`two layers are named '${layer.name}'`, file, field, layer);
    byName.set(layer.name, layer);
    if (layer.className === 'InputLayer') {
      inputs.push(layer);
      return;
    }
    const inbound = (raw as Record<string, unknown>).inbound_nodes;
    if (!Array.isArray(inbound))
      invalid(`layer '${layer.name}' has no inbound_nodes`, file, `${field}.inbound_nodes`, layer);
    inbound.forEach((node, call) => {
      pending.push({
        call: { layer, call, inputs: parseInboundNode(node, file, `${field}.inbound_nodes[${call}]`) },
        field,
      });
    });
  });
  const inputRefs = parseRefList(config.input_layers, file, 'modelTopology.config.input_layers');
  const outputs = parseRefList(config.output_layers, file, 'modelTopology.config.output_layers');
  const declaredInputs = inputRefs.map((r) => {
    const layer = byName.get(r.layer);
    if (!layer || layer.className !== 'InputLayer')
      invalid(
        `input '${r.layer}' is not an InputLayer of the model`,
        file,
        'modelTopology.config.input_layers',
      );
    return layer;
  });
  // Order the calls so that every input is produced before it is used (Kahn over the call list).
  const available = new Set(declaredInputs.map((l) => refKey({ layer: l.name, node: 0, tensor: 0 })));
  const calls: LayerCall[] = [];
  let remaining = pending;
  while (remaining.length > 0) {
    const next: typeof remaining = [];
    for (const p of remaining) {
      if (p.call.inputs.every((r) => available.has(refKey(r)))) {
        calls.push(p.call);
        available.add(refKey({ layer: p.call.layer.name, node: p.call.call, tensor: 0 }));
      } else next.push(p);
    }
    if (next.length === remaining.length) {
      const stuck = next[0];
      const missing = stuck.call.inputs.find((r) => !available.has(refKey(r)))!;
      invalid(
        `layer '${stuck.call.layer.name}' reads tensor ${refKey(missing)}, which no input or earlier layer produces`,
        file,
        `${stuck.field}.inbound_nodes`,
        stuck.call.layer,
      );
    }
    remaining = next;
  }
  for (const o of outputs) {
    if (!available.has(refKey(o)))
      invalid(`output ${refKey(o)} is not produced by the model`, file, 'modelTopology.config.output_layers');
  }
  const name = typeof config.name === 'string' ? config.name : 'model';
  return { name, inputs: declaredInputs, calls, outputs };
}

/**
 * Normalizes a Keras model topology (`Sequential`, or functional `Model`/`Functional`, in the
 * TF.js, Keras 2 and Keras 3 JSON dialects) into inputs, ordered layer calls and outputs.
 *
 * @example
 * const topo = readKerasTopology(modelJson.modelTopology, 'model.json');
 * topo.calls.map((c) => c.layer.className); // ['Conv2D', 'MaxPooling2D', ...]
 */
export function readKerasTopology(topology: KerasJson, file?: string): KerasTopology {
  const className = topology.class_name;
  if (className === 'Sequential') return sequential(topology, file);
  if (className === 'Model' || className === 'Functional') return functional(topology, file);
  throw new MetacompressError(
    ErrorCodes.UNSUPPORTED_OP,
    `model class '${String(className)}' is not supported (Sequential, Model or Functional)`,
    {
      file,
      opType: String(className),
      field: 'modelTopology.class_name',
    },
  );
}
