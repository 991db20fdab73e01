import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  DEFAULT_OPSET,
  DataType,
  analyzeCoupling,
  attrInt,
  createTensor,
  matchesSelector,
  nodeLabel,
  toFloat32,
  toNumbers,
  withFloat32,
  type CouplingGroup,
  type Graph,
  type Node,
  type Selector,
  type Tensor,
} from '@metacompress/ir';
import { invertPerm, type Layout, type Tf } from './layout';
import { convKernelPerm } from './ops/conv';
import { applyMask, maskSites, masksToMap, type ChannelMasks, type MaskSite } from './masks';
import {
  createOpContext,
  type BatchNormUpdate,
  type ForwardSettings,
  type ForwardState,
  type OpHandler,
} from './op-context';
import { tfjsOpHandler } from './op-registry';
import { prepareGraph, type PreparedGraph } from './prepare-graph';
import {
  logicalTensor,
  materialize,
  tensorValue,
  tfDtypeOf,
  type ConstValue,
  type RuntimeValue,
} from './runtime-value';

/** Which weights training may change. */
export type TrainableSpec = 'all' | 'none' | Selector | ((name: string, readers: readonly Node[]) => boolean);

/** Options of {@link buildExecutor}. */
export interface BuildExecutorOptions {
  /** The tfjs-core module to compute with (`(await initTfjs()).tf`). */
  tf: Tf;
  /**
   * Weights that become trainable variables: `'all'` (default), `'none'`, a selector (weights read
   * by the nodes it picks) or a predicate. BatchNormalization running statistics are never trainable.
   */
  trainable?: TrainableSpec;
  /**
   * Coupling groups that channel masks may target (default: `analyzeCoupling(graph)`, computed
   * on first use).
   */
  maskGroups?: readonly CouplingGroup[];
  /**
   * Activation layout: `channels-last` (default) keeps convolution/pooling/BN activations NHWC
   * and converts only at order-dependent ops; `channels-first` converts back to NCHW after every
   * such op (simpler, slower; kept for comparison).
   */
  layout?: 'channels-last' | 'channels-first';
  /** BatchNormalization while training: `frozen` (running statistics, default) or `batch` (batch statistics, running ones updated). */
  batchNorm?: 'frozen' | 'batch';
  /** Handlers for ops this executor alone should run (keys `OpType` or `domain:OpType`). */
  ops?: Readonly<Record<string, OpHandler>>;
  /** Seed of Dropout masks in training mode (default 0). */
  seed?: number;
  /** The model file, named in errors. */
  file?: string;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  /** Training mode: Dropout active, BatchNormalization per `batchNorm` (default false). */
  training?: boolean;
  /** Soft channel masks by coupling-group id (see {@link Executor.maskGroups}). */
  masks?: ChannelMasks;
  /**
   * Replacement tensors for weights, by initializer name, shaped like the weight's variable
   * (functional use, e.g. MAML inner loops: `v − α·∇v`).
   */
  params?: ReadonlyMap<string, tfc.Tensor> | Readonly<Record<string, tfc.Tensor>>;
  /** Values to return (graph outputs, intermediate values or inputs); default: the graph outputs. */
  outputs?: readonly string[];
  /** Apply Dropout in training mode (default true). */
  dropout?: boolean;
}

/** A forward pass's outputs and what it recorded. */
export interface ForwardResult {
  outputs: Record<string, tfc.Tensor>;
  /** Running-statistics updates (BatchNormalization in `batch` mode while training). */
  batchNormUpdates: BatchNormUpdate[];
}

/**
 * An IR graph turned into a differentiable TensorFlow.js function: weights are `tf.Variable`s,
 * `forward` runs the graph with ONNX (NCHW) semantics.
 */
export interface Executor {
  readonly tf: Tf;
  /** The graph it was built from. */
  readonly graph: Graph;
  /** Graph inputs to feed, in order. */
  readonly inputNames: readonly string[];
  /** Graph outputs, in order. */
  readonly outputNames: readonly string[];
  /**
   * Every weight (float initializer that something reads) as a variable, by initializer name.
   * Conv weights and Gemm `transB` weights are stored in the layout tfjs kernels take (see
   * {@link Executor.weightPerm}); `readWeight` gives the ONNX layout.
   */
  readonly variables: ReadonlyMap<string, tfc.Variable>;
  /** How a weight's variable is stored: `variable = transpose(onnxWeight, perm)`, or undefined when as ONNX. */
  weightPerm(name: string): readonly number[] | undefined;
  /** A weight's current values in ONNX layout. */
  readWeight(name: string): Float32Array;
  /** The variables training changes, in graph order. */
  readonly trainableVariables: readonly tfc.Variable[];
  /** Names of the trainable weights, in the same order. */
  readonly trainableNames: readonly string[];
  /** Which layout strategy it runs. */
  readonly layout: 'channels-last' | 'channels-first';
  /** Runs the graph; inputs and outputs are logical (NCHW) tensors the caller owns. */
  forward(inputs: Readonly<Record<string, tfc.Tensor>>, options?: ForwardOptions): Record<string, tfc.Tensor>;
  /** As `forward`, also returning running-statistics updates. */
  run(inputs: Readonly<Record<string, tfc.Tensor>>, options?: ForwardOptions): ForwardResult;
  /** First output for a tensor fed to the first input. */
  predict(input: tfc.Tensor, options?: ForwardOptions): tfc.Tensor;
  /** Applies recorded running-statistics updates to the variables (and disposes them). */
  applyBatchNormUpdates(updates: readonly BatchNormUpdate[]): void;
  /** Coupling groups masks may target. */
  maskGroups(): readonly CouplingGroup[];
  /** Where each group's mask is applied. */
  maskSites(): ReadonlyMap<string, readonly MaskSite[]>;
  /** A new graph with the current weights (unchanged initializers are shared). */
  toGraph(): Graph;
  /** Frees the variables and cached constants. */
  dispose(): void;
}

/** Inputs of ops that read a float initializer as a setting rather than a weight. */
const SETTING_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Clip: [1, 2],
  Pad: [2],
  Dropout: [1],
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  Resize: [1, 2],
  Upsample: [1],
  Range: [0, 1, 2],
  ConstantOfShape: [0],
};

/** BatchNormalization running statistics: weights, never trained by gradient. */
const STATISTIC_INPUTS: Readonly<Record<string, readonly number[]>> = { BatchNormalization: [3, 4] };

/**
 * The layout a weight is stored in when every reader is a kernel that wants it transposed: Conv
 * weights as `[k…, C/g, M]`, Gemm `transB=1` weights as `[K, N]`.
 */
function storagePerm(uses: readonly { node: Node; index: number }[], rank: number): number[] | undefined {
  let chosen: number[] | undefined;
  for (const { node, index } of uses) {
    let perm: number[] | undefined;
    if (node.opType === 'Conv' && index === 1 && (rank === 3 || rank === 4)) perm = convKernelPerm(rank);
    else if (node.opType === 'Gemm' && index === 1 && rank === 2 && attrInt(node, 'transB', 0) !== 0)
      perm = [1, 0];
    if (!perm || (chosen && chosen.join() !== perm.join())) return undefined;
    chosen = perm;
  }
  return chosen;
}

function opsetOf(graph: Graph, domain: string): number {
  const d = domain === 'ai.onnx' ? '' : domain;
  return (
    graph.model.opsetImports.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version ??
    (d === '' ? DEFAULT_OPSET : 1)
  );
}

function isSelector(spec: TrainableSpec): spec is Selector {
  return typeof spec === 'object';
}

/**
 * Turns an IR graph into a differentiable function on TensorFlow.js. Constant subgraphs are
 * folded first (weights excepted, see `prepareGraph`); every float initializer a node reads as a
 * weight becomes a `tf.Variable` (trainable as selected); initializers read as settings (Clip
 * bounds, quantization scales) stay host constants. Activations of convolutions, pooling and
 * normalization are kept channels-last, as tfjs computes them, and converted back to NCHW exactly
 * where an op depends on the memory order (Flatten, Reshape, Transpose, Squeeze, Gather on other
 * axes, graph outputs), so results match ONNX semantics. Unsupported ops throw
 * `MC_UNSUPPORTED_OP` naming the node.
 *
 * @example
 * const { tf } = await initTfjs();
 * const exec = buildExecutor(await loadOnnx('lenet5.onnx'), { tf, trainable: { exclude: { names: ['/fc3/*'] } } });
 * const logits = exec.predict(tf.zeros([8, 1, 28, 28])); // [8, 10]
 * const tuned = exec.toGraph(); // encodeOnnx(tuned) after training
 * exec.dispose();
 */
export function buildExecutor(graph: Graph, options: BuildExecutorOptions): Executor {
  const tf = options.tf;
  const prepared: PreparedGraph = prepareGraph(graph, options.file);
  const layoutPolicy = options.layout ?? 'channels-last';
  const readers = new Map<string, { node: Node; index: number }[]>();
  for (const node of prepared.nodes) {
    node.inputs.forEach((name, index) => {
      if (name && prepared.weights.has(name))
        readers.set(name, [...(readers.get(name) ?? []), { node, index }]);
    });
  }
  for (const o of graph.outputs)
    if (prepared.weights.has(o.name) && !readers.has(o.name)) readers.set(o.name, []);

  // Constants: folded/non-float initializers, and float initializers only read as settings.
  const constants = new Map<string, ConstValue>();
  const toConst = (t: Tensor): ConstValue => ({
    kind: 'const',
    dataType: t.dataType,
    dims: [...t.dims],
    values: toNumbers(t),
    persistent: true,
  });
  for (const [name, t] of prepared.constants) {
    if (t.raw === undefined) continue;
    constants.set(name, toConst(t));
  }
  const variables = new Map<string, tfc.Variable>();
  const perms = new Map<string, readonly number[]>();
  const trainable = options.trainable ?? 'all';
  const trainableNames: string[] = [];
  for (const [name, t] of prepared.weights) {
    const uses = readers.get(name);
    if (!uses) continue;
    const asSetting =
      uses.length > 0 && uses.every(({ node, index }) => SETTING_INPUTS[node.opType]?.includes(index));
    if (asSetting) {
      constants.set(name, toConst(t));
      continue;
    }
    const weightUses = uses.filter(
      ({ node, index }) =>
        !SETTING_INPUTS[node.opType]?.includes(index) && !STATISTIC_INPUTS[node.opType]?.includes(index),
    );
    const nodes = weightUses.map((u) => u.node);
    const train =
      weightUses.length > 0 &&
      (trainable === 'all' ||
        (trainable !== 'none' &&
          (typeof trainable === 'function'
            ? trainable(name, nodes)
            : isSelector(trainable) && nodes.some((n) => matchesSelector(n, trainable)))));
    const perm = storagePerm(uses, t.dims.length);
    const variable = tf.tidy(() => {
      const logical = tf.tensor(toFloat32(t), [...t.dims], 'float32');
      return tf.variable(perm ? tf.transpose(logical, perm) : logical, train);
    });
    if (perm) perms.set(name, perm);
    variables.set(name, variable);
    if (train) trainableNames.push(name);
  }
  const trainableVariables = trainableNames.map((n) => variables.get(n)!);
  const weightTypes = new Map([...prepared.weights].map(([n, t]) => [n, t.dataType]));

  let groups: readonly CouplingGroup[] | undefined = options.maskGroups;
  let sites: Map<string, MaskSite[]> | undefined;
  const getGroups = () => (groups ??= analyzeCoupling(graph));
  const getSites = () =>
    (sites ??= maskSites(
      graph,
      prepared.nodes,
      getGroups(),
      new Set([...prepared.constants.keys(), ...prepared.weights.keys()]),
    ));

  const inputTypes = new Map(prepared.feeds.map((i) => [i.name, i.type]));
  const nodeLabels = new Map(graph.nodes.map((n, i) => [n, nodeLabel(n, i)]));
  let seedCounter = options.seed ?? 0;
  let disposed = false;

  const checkFeed = (name: string, t: tfc.Tensor) => {
    const type = inputTypes.get(name);
    if (type?.kind !== 'tensor' || !type.shape) return;
    const ok =
      type.shape.length === t.rank &&
      type.shape.every((d, i) => typeof d !== 'number' || d <= 0 || d === t.shape[i]);
    if (!ok) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `input '${name}' expects shape [${type.shape.map((d) => d ?? '?').join(', ')}], got [${t.shape.join(', ')}]`,
        {
          field: `inputs.${name}`,
        },
      );
    }
  };

  const run = (feeds: Readonly<Record<string, tfc.Tensor>>, opts: ForwardOptions = {}): ForwardResult => {
    if (disposed) throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'this executor was disposed');
    const settings: ForwardSettings = {
      training: opts.training ?? false,
      batchNorm: options.batchNorm ?? 'frozen',
      dropout: opts.dropout ?? true,
    };
    const masks = opts.masks ? masksToMap(opts.masks, new Set(getGroups().map((g) => g.id))) : undefined;
    const maskPlan = masks && masks.size > 0 ? getSites() : undefined;
    const params = opts.params
      ? opts.params instanceof Map
        ? opts.params
        : new Map(Object.entries(opts.params))
      : undefined;
    for (const name of Object.keys(feeds)) {
      if (!inputTypes.has(name) && !prepared.overridable.has(name)) {
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          `'${name}' is not an input of the graph (inputs: ${[...inputTypes.keys()].join(', ')})`,
          { field: `inputs.${name}` },
        );
      }
    }
    for (const i of prepared.feeds) {
      if (!feeds[i.name])
        throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `input '${i.name}' was not given`, {
          field: `inputs.${i.name}`,
        });
      checkFeed(i.name, feeds[i.name]!);
    }
    const seed = seedCounter;
    seedCounter += 1;
    let draws = 0;
    const kept = new Set<tfc.Tensor>();
    // tidy keeps every tensor reachable from the returned object (outputs and recorded updates).
    return tf.tidy((): tfc.TensorContainer => {
      const state: ForwardState = { batchNormUpdates: [], nextSeed: () => seed * 7919 + draws++ };
      const env = new Map<string, RuntimeValue>(constants);
      for (const [name, v] of variables) {
        const stored = params?.get(name) ?? v;
        if (stored.shape.join() !== v.shape.join()) {
          throw new MetacompressError(
            ErrorCodes.SHAPE_MISMATCH,
            `params['${name}'] has shape [${stored.shape.join(', ')}], the variable [${v.shape.join(', ')}]`,
            { field: `params.${name}` },
          );
        }
        const perm = perms.get(name);
        const dataType = weightTypes.get(name) ?? DataType.FLOAT;
        env.set(
          name,
          perm ? { kind: 'weight', name, stored, perm, dataType } : tensorValue(stored, 'nchw', dataType),
        );
        kept.add(v);
      }
      for (const [name, t] of Object.entries(feeds)) {
        const type = inputTypes.get(name);
        const elemType = type?.kind === 'tensor' ? type.elemType : DataType.FLOAT;
        const dtype = tfDtypeOf(elemType);
        env.set(name, tensorValue(t.dtype === dtype ? t : tf.cast(t, dtype), 'nchw', elemType));
        kept.add(t);
      }
      for (const node of prepared.nodes) {
        const label = nodeLabels.get(node) ?? node.name ?? node.opType;
        const handler = tfjsOpHandler(node.opType, node.domain, options.ops);
        if (!handler) {
          throw new MetacompressError(
            ErrorCodes.UNSUPPORTED_OP,
            `the TensorFlow.js executor does not support ${node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:` : ''}${node.opType} (node '${label}')`,
            { node: label, opType: node.opType, ...(options.file ? { file: options.file } : {}) },
          );
        }
        const inputs = node.inputs.map((name) => {
          if (!name) return undefined;
          const v = env.get(name);
          if (!v)
            throw new MetacompressError(
              ErrorCodes.MODEL_INVALID,
              `node '${label}' reads '${name}', which nothing computes`,
              { node: label, opType: node.opType, field: 'inputs' },
            );
          return v;
        });
        const initializerNames = node.inputs.map((n) =>
          n && (prepared.weights.has(n) || prepared.constants.has(n)) ? n : '',
        );
        const ctx = createOpContext(
          tf,
          node,
          label,
          opsetOf(graph, node.domain),
          inputs,
          initializerNames,
          settings,
          state,
        );
        let result: RuntimeValue | (RuntimeValue | undefined)[];
        try {
          result = handler(ctx);
        } catch (error) {
          if (error instanceof MetacompressError) throw error;
          const message = error instanceof Error ? error.message : String(error);
          throw new MetacompressError(
            ErrorCodes.BACKEND_FAILED,
            `${node.opType} node '${label}' failed in TensorFlow.js: ${message}`,
            { node: label, opType: node.opType },
          );
        }
        const outs = Array.isArray(result) ? result : [result];
        node.outputs.forEach((name, i) => {
          if (!name) return;
          let v = outs[i];
          if (!v)
            throw new MetacompressError(
              ErrorCodes.UNSUPPORTED_OP,
              `${node.opType} node '${label}' did not compute output ${i}`,
              { node: label, opType: node.opType },
            );
          if (layoutPolicy === 'channels-first' && v.kind === 'tensor' && v.layout === 'nhwc')
            v = tensorValue(logicalTensor(tf, v), 'nchw', v.dataType);
          const here = maskPlan?.get(name);
          if (here && masks) {
            for (const site of here) {
              const m = masks.get(site.group);
              if (m) v = applyMask(tf, v, site, m);
            }
          }
          env.set(name, v);
        });
      }
      const wanted = opts.outputs ?? graph.outputs.map((o) => o.name);
      const outputs: Record<string, tfc.Tensor> = {};
      for (const name of wanted) {
        const v = env.get(name);
        if (!v)
          throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `no value named '${name}' in the graph`, {
            field: 'outputs',
          });
        let t = v.kind === 'const' ? materialize(tf, v) : logicalTensor(tf, v);
        if (kept.has(t) || (v.kind === 'const' && v.persistent)) t = tf.clone(t);
        outputs[name] = t;
      }
      const result: ForwardResult = { outputs, batchNormUpdates: state.batchNormUpdates };
      return result as unknown as tfc.TensorContainer;
    }) as unknown as ForwardResult;
  };

  const toLogical = (name: string, t: tfc.Tensor): Float32Array => {
    const perm = perms.get(name);
    if (!perm) return Float32Array.from(t.dataSync() as Float32Array);
    return tf.tidy(() => Float32Array.from(tf.transpose(t, invertPerm(perm)).dataSync() as Float32Array));
  };

  const executor: Executor = {
    tf,
    graph,
    inputNames: prepared.feeds.map((i) => i.name),
    outputNames: graph.outputs.map((o) => o.name),
    variables,
    trainableVariables,
    trainableNames,
    layout: layoutPolicy,
    run,
    forward: (feeds, opts) => run(feeds, opts).outputs,
    predict(input, opts) {
      const name = executor.inputNames[0];
      if (!name) throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'the graph has no input to feed');
      const first = executor.outputNames[0]!;
      const out = run({ [name]: input }, { ...opts, outputs: [first] });
      tf.dispose(out.batchNormUpdates.flatMap((u) => [u.batchMean, u.batchVar]));
      return out.outputs[first]!;
    },
    applyBatchNormUpdates(updates) {
      tf.tidy(() => {
        for (const u of updates) {
          const mean = variables.get(u.mean);
          const variance = variables.get(u.var);
          if (mean) mean.assign(tf.add(tf.mul(mean, u.momentum), tf.mul(u.batchMean, 1 - u.momentum)));
          if (variance)
            variance.assign(tf.add(tf.mul(variance, u.momentum), tf.mul(u.batchVar, 1 - u.momentum)));
        }
      });
      tf.dispose(updates.flatMap((u) => [u.batchMean, u.batchVar]));
    },
    maskGroups: getGroups,
    maskSites: getSites,
    weightPerm: (name) => perms.get(name),
    readWeight(name) {
      const v = variables.get(name);
      if (!v)
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          `'${name}' is not a weight of this executor`,
          { field: 'name' },
        );
      return toLogical(name, v);
    },
    toGraph() {
      const initializers = graph.initializers.map((t) => {
        const v = variables.get(t.name);
        if (!v) return t;
        const now = toLogical(t.name, v);
        const before = toFloat32(t);
        let same = now.length === before.length;
        for (let i = 0; same && i < now.length; i++) if (!Object.is(now[i], before[i])) same = false;
        if (same) return t;
        if (t.dataType === DataType.FLOAT) return withFloat32(t, t.dims, Float32Array.from(now));
        const { raw: _raw, external: _external, ...rest } = t;
        return { ...rest, ...createTensor(t.name, t.dataType, t.dims, Float32Array.from(now)) };
      });
      return { ...graph, initializers };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of variables.values()) v.dispose();
      for (const c of constants.values()) if (c.tensor && !c.tensor.isDisposed) c.tensor.dispose();
    },
  };
  return executor;
}

export type { Layout };
