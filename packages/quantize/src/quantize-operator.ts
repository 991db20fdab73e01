import {
  defineOperator,
  ErrorCodes,
  isMetacompressError,
  log,
  MetacompressError,
  option,
  startTask,
  type InferenceBackend,
  type OperatorContext,
  type OptionsOf,
  type Policy,
} from '@metacompress/core';
import {
  encodeOnnx,
  foldBatchNorm,
  foldConstants,
  inferShapes,
  parseSelector,
  toFloat32,
  type Graph,
  type Node,
  type Selector,
} from '@metacompress/ir';
import { calibrate, calibrationInput } from './calibrate';
import { CALIBRATION_METHODS } from './calibration-methods';
import { quantizeDynamic } from './dynamic';
import { compareLatency, singleLayerModels, type LatencyComparison } from './latency-gate';
import type { Observer } from './observer';
import { planWeights, schemeForBits, WEIGHT_OPS, type NodePlan } from './plan';
import type { QuantParams } from './qparams';
import { buildStaticQdq, fitBounds, planActivations, type ActivationPlan } from './static-qdq';
import { quantizeWeightsOnly, type WeightOnlyEntry, type WeightOnlyRecord } from './weight-only';
import { checkFinite, quantizeWeight, type QuantizedWeight, type WeightScheme } from './weight-quantizers';

/** The options of the {@link quantize} operator. */
export const quantizeOptions = {
  bits: option.integer(
    'weight bits of selected nodes the policy says nothing about: 32 (float), 16, 8, 4, 2 (ternary) or 1 (binary)',
    8,
  ),
  mode: option.enum(
    'how 8-bit layers compute: auto (int8 where measured faster in the gate backend, else float with int8 weights), static (int8 QDQ everywhere possible), dynamic (DynamicQuantizeLinear + MatMulInteger for Gemm/MatMul), weight-only (float compute, int8 weights)',
    ['auto', 'static', 'dynamic', 'weight-only'],
    'auto',
  ),
  calibration: option.enum(
    'how activation ranges are chosen from the calibration data',
    CALIBRATION_METHODS,
    'minmax',
  ),
  percentile: option.number('share of values the percentile method keeps, in percent', 99.99, {
    min: 50,
    max: 100,
  }),
  calibrationSamples: option.integer('calibration samples to use (at most)', 512, { min: 1 }),
  batchSize: option.integer('samples per calibration run', 64, { min: 1 }),
  activationType: option.enum('8-bit type of activations', ['uint8', 'int8'], 'uint8'),
  symmetricActivations: option.boolean('symmetric activation ranges (zero point at the middle level)', false),
  perChannel: option.boolean('one weight scale per output channel (else one per tensor)', true),
  weightRange: option.enum(
    'how weight ranges are chosen: auto (min-max for 8 bits, least squared error below), minmax, mse',
    ['auto', 'minmax', 'mse'],
    'auto',
  ),
  blockSize: option.integer(
    '4-bit weights: one scale per block of this many elements of a channel (0: per channel)',
    0,
    { min: 0 },
  ),
  dynamicWeightType: option.enum('weight type of dynamic quantization', ['uint8', 'int8'], 'uint8'),
  selector: option.custom<Selector>(
    'which nodes to quantize ({ opTypes, names, exclude })',
    { opTypes: WEIGHT_OPS },
    (v, path) => parseSelector(v, path),
  ),
  foldBatchNorm: option.boolean('fold BatchNormalization into the preceding Conv/Gemm first', true),
  gate: option.boolean(
    'time the result against the float model (interleaved, medians) and fall back per layer or to weight-only when slower',
    true,
  ),
  gateBackend: option.string('inference backend (by name) the gate times in: the target runtime', 'ort-web'),
  gateBatch: option.integer('batch size the gate times at', 64, { min: 1 }),
  gateRuns: option.integer('timed runs of each model in the whole-model comparison', 12, { min: 1 }),
  layerRuns: option.integer(
    'timed runs of each model in the per-layer comparison (0: skip per-layer timing)',
    6,
    { min: 0 },
  ),
  layerThreshold: option.number(
    'a layer computes in int8 only when its int8 kernel takes less than this share of the float time',
    0.9,
    { min: 0, max: 1 },
  ),
  requiredSpeedup: option.number(
    'an int8 layout is kept only when it is at least this much faster than float (median of paired ratios)',
    0.03,
    { min: 0, max: 0.9 },
  ),
};

/** Parsed options of {@link quantize}. */
export type QuantizeOptions = OptionsOf<typeof quantizeOptions>;

/** One layer in the report. */
export interface QuantizedLayerReport {
  node: string;
  opType: string;
  groups: string[];
  bits: number;
  source: 'policy' | 'default';
  /** `int8` (QDQ, integer kernel), `dynamic` (MatMulInteger) or `float` (weights decoded at load). */
  compute: 'int8' | 'dynamic' | 'float';
  /** `int8-qdq`, `uint8-dynamic`, `int8`, `packed4`, `packed2`, `packed1`, `fp16` or `float`. */
  storage: string;
  /** Isolated int8 vs float timing of this layer in the gate backend, when measured. */
  layerRatio?: number;
  /** Why the layer does not compute in int8 although it has 8 bits. */
  note?: string;
}

/** The gate's verdict. */
export interface GateReport {
  backend: string;
  batchSize: number;
  /** Every candidate tried, in order, with its timing (or why it failed to load). */
  tried: { candidate: string; comparison?: LatencyComparison; error?: string; note?: string; accepted: boolean }[];
  /** What was emitted. */
  decision: string;
}

interface Candidate {
  name: string;
  graph: Graph;
  integer: boolean;
  layers: QuantizedLayerReport[];
  weights: WeightOnlyRecord[];
}

const PASSES = (name: string): string => `quantize:${name}`;

/** Stricter per-layer thresholds tried in turn when the whole int8 candidate is slower than float. */
const LAYER_CASCADE = [0.7, 0.5];

function where(p: NodePlan): { node: string; opType: string } {
  return { node: p.label, opType: p.node.opType };
}

/** Groups plans by weight; weights read by unplanned nodes (or shared) are dealt with here. */
function resolveSharing(
  graph: Graph,
  plans: NodePlan[],
): { plans: NodePlan[]; shared: Set<string>; skipped: { node: string; reason: string }[] } {
  const planned = new Set(plans.map((p) => p.node));
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const skipped: { node: string; reason: string }[] = [];
  const kept: NodePlan[] = [];
  const shared = new Set<string>();
  const byWeight = new Map<string, NodePlan[]>();
  for (const p of plans) {
    const rs = readers.get(p.weight) ?? [];
    if (outputs.has(p.weight) || rs.some((r) => !planned.has(r))) {
      skipped.push({
        node: p.label,
        reason: `weight '${p.weight}' is also read by a node that is not quantized; kept float`,
      });
      continue;
    }
    byWeight.set(p.weight, [...(byWeight.get(p.weight) ?? []), p]);
    kept.push(p);
  }
  for (const [w, ps] of byWeight) {
    if (ps.length < 2) continue;
    shared.add(w);
    const bits = Math.max(...ps.map((p) => p.bits)) as NodePlan['bits'];
    for (const p of ps) p.bits = bits;
  }
  return { plans: kept, shared, skipped };
}

async function fileBytes(graph: Graph): Promise<number> {
  return encodeOnnx(graph).byteLength;
}

/**
 * Quantizes a graph as the policy says, then (with `gate`) proves the result is not slower than the
 * float model in the target runtime before returning it. See the package README for the whole
 * procedure; in short:
 *
 * 1. Constants and BatchNormalization are folded; every selected Conv/ConvTranspose/Gemm/MatMul
 *    gets the `weightBits` of the coupling group it produces (or the `bits` option).
 * 2. 8-bit layers that can compute in integers are timed one by one in the gate backend (int8
 *    kernel vs float kernel) and those whose int8 kernel is faster are quantized statically: their
 *    activations are calibrated on `ctx.data.calibration` (min-max, percentile, entropy or MSE) and
 *    the graph gets onnxruntime's QDQ layout (which it fuses to QLinearConv / QGemm / QLinearAdd …).
 * 3. Every other quantized weight is stored in 8/4/2/1 bits or float16 and decoded at load time
 *    (float compute, a smaller file).
 * 4. The gate times each candidate against the float source (batch `gateBatch`, interleaved runs,
 *    median of the paired ratios). A candidate that computes in int8 must be at least
 *    `requiredSpeedup` faster; when it is not, the layers that gained least in isolation go back
 *    to float compute (thresholds 0.7, then 0.5) and finally everything falls back to weight-only,
 *    which is accepted without timing: it is the float graph after onnxruntime's load-time
 *    constant folding (a test compares the optimized graphs), so it cannot be slower. The report
 *    says what was tried, with every timing, and why.
 *
 * @example
 * const { graph: int8, steps } = await compress(graph, [quantize.with({ calibration: 'entropy' })], {
 *   policy, data: { calibration: mnistTrainSubset },
 * });
 * steps[0].report.gate; // { decision: 'int8 (7 of 7 layers) …', tried: [...] }
 */
export const quantize = defineOperator<Graph, typeof quantizeOptions>({
  name: 'quantize',
  description:
    'calibrated post-training quantization (int8 QDQ, int4/ternary/binary/fp16 weights), gated on measured latency',
  options: quantizeOptions,
  apply: (graph, policy, ctx, options) => quantizeGraph(graph, policy, ctx, options),
});

async function quantizeGraph(
  graph: Graph,
  policy: Policy,
  ctx: OperatorContext,
  o: QuantizeOptions,
): Promise<{ graph: Graph; report: Record<string, unknown> }> {
  schemeForBits(o.bits, { field: 'quantize.options.bits' });
  let prepared = foldConstants(graph);
  if (o.foldBatchNorm) prepared = foldBatchNorm(prepared);
  const planned = planWeights(prepared, policy, { bits: o.bits, selector: o.selector });
  const { plans, shared, skipped } = resolveSharing(prepared, planned);
  const constants = new Map(prepared.initializers.map((t) => [t.name, t] as const));
  for (const i of prepared.inputs) constants.delete(i.name);
  for (const p of plans)
    if (p.bits < 32) checkFinite(toFloat32(constants.get(p.weight)!), { ...where(p), field: p.weight });

  const opset =
    prepared.model.opsetImports.find((x) => x.domain === '' || x.domain === 'ai.onnx')?.version ?? 1;
  const eight = plans.filter((p) => p.bits === 8);
  const notes = new Map<NodePlan, string>();
  let staticCandidates: NodePlan[] = [];
  const dynamicNodes: NodePlan[] = [];
  if (o.mode === 'static' || o.mode === 'auto') {
    for (const p of eight) {
      if (!p.staticEligible)
        notes.set(
          p,
          `${p.node.opType} with this weight/attributes cannot compute in int8; int8 weights, float compute`,
        );
      else if (shared.has(p.weight))
        notes.set(p, `weight '${p.weight}' is shared by several nodes; int8 weights, float compute`);
      else if (opset < 13 && (o.perChannel || opset < 10))
        notes.set(
          p,
          `opset ${opset} has no ${opset < 10 ? '' : 'per-channel '}DequantizeLinear; int8 weights, float compute`,
        );
      else staticCandidates.push(p);
    }
  } else if (o.mode === 'dynamic') {
    for (const p of eight) {
      if (p.dynamicEligible && !shared.has(p.weight)) dynamicNodes.push(p);
      else
        notes.set(
          p,
          'dynamic quantization runs Gemm/MatMul with a 2-D weight only; int8 weights, float compute',
        );
    }
  }

  const calibrationData = ctx.data.calibration;
  if (calibrationData && !(calibrationData.length > 0)) {
    throw new MetacompressError(
      ErrorCodes.EMPTY_DATASET,
      `calibration set '${calibrationData.name}' has no samples`,
      { field: 'data.calibration' },
    );
  }
  if (staticCandidates.length && !calibrationData) {
    if (o.mode === 'static') {
      throw new MetacompressError(
        ErrorCodes.EMPTY_DATASET,
        'static quantization needs calibration data (ctx.data.calibration)',
        { field: 'data.calibration' },
      );
    }
    for (const p of staticCandidates) notes.set(p, 'no calibration data; int8 weights, float compute');
    log(
      ctx.progress,
      'warn',
      'quantize: no calibration data, 8-bit layers keep float compute (weight-only)',
      'quantize',
    );
    staticCandidates = [];
  }

  let gateBackend: InferenceBackend<Graph> | undefined;
  if (o.gate) {
    try {
      gateBackend = await ctx.backends.resolve<InferenceBackend<Graph>>('inference', [o.gateBackend]);
    } catch (error) {
      throw new MetacompressError(
        ErrorCodes.NO_BACKEND,
        `the deployment gate times models in inference backend '${o.gateBackend}', which is not available (${error instanceof Error ? error.message : String(error)}); register it (by importing @metacompress/backend-ort) or set gate: false`,
        { backend: o.gateBackend },
        { cause: error },
      );
    }
  }
  let calibrator: InferenceBackend<Graph> | undefined;
  if (staticCandidates.length)
    calibrator = gateBackend ?? (await ctx.backends.resolve<InferenceBackend<Graph>>('inference'));

  // Per-layer timing: only layers whose int8 kernel beats the float one compute in int8 (mode auto).
  const layerRatios = new Map<NodePlan, number>();
  const int8Weights = new Map<NodePlan, QuantizedWeight>();
  for (const p of staticCandidates) {
    int8Weights.set(
      p,
      quantizeWeight(toFloat32(constants.get(p.weight)!), constants.get(p.weight)!.dims, {
        scheme: 'int8',
        axis: p.axis,
        perTensor: !o.perChannel,
        method: o.weightRange === 'mse' ? 'mse' : 'minmax',
        name: p.weight,
      }),
    );
  }
  let selected = staticCandidates;
  if (o.mode === 'auto' && gateBackend && o.layerRuns > 0 && staticCandidates.length) {
    const shapes = safeShapes(prepared, o.gateBatch);
    const task = startTask(
      ctx.progress,
      PASSES('layers'),
      staticCandidates.length,
      'layers',
      'timing int8 vs float kernels',
    );
    selected = [];
    for (const p of staticCandidates) {
      const inputShape = shapes.get(p.node.inputs[0])?.shape;
      if (!inputShape || inputShape.slice(1).some((d) => typeof d !== 'number')) {
        selected.push(p); // unknown shape: let the whole-model gate decide
        task.tick();
        continue;
      }
      const models = singleLayerModels({
        node: p.node,
        weight: int8Weights.get(p)!,
        constants,
        inputShape,
        activationType: o.activationType,
        opset,
      });
      try {
        const c = await compareLatency(gateBackend, models.float, models.int8, {
          batchSize: o.gateBatch,
          runs: o.layerRuns,
          warmup: 2,
          signal: ctx.signal,
        });
        // Fastest runs: a short comparison is least disturbed by other processes this way.
        layerRatios.set(p, c.minRatio);
        if (c.minRatio < o.layerThreshold) selected.push(p);
        else
          notes.set(
            p,
            `int8 kernel not faster in ${gateBackend.name} (${c.minRatio.toFixed(2)}× float time); int8 weights, float compute`,
          );
      } catch (error) {
        if (!isMetacompressError(error) || error.code === ErrorCodes.ABORTED) throw error;
        notes.set(
          p,
          `int8 layer does not load in ${gateBackend.name}: ${error.reason}; int8 weights, float compute`,
        );
      }
      task.tick();
    }
    task.end({ int8Layers: selected.length });
  }

  // The int8 layer sets to try: all selected layers, then (when the whole is slower) only those
  // that gained most in isolation.
  const subsets: NodePlan[][] = [];
  const seenSubsets = new Set<string>();
  for (const t of gateBackend
    ? [Infinity, ...LAYER_CASCADE.filter((x) => x < o.layerThreshold)]
    : [Infinity]) {
    const subset = selected.filter((p) => (layerRatios.get(p) ?? (t === Infinity ? 0 : Infinity)) < t);
    const key = subset.map((p) => p.label).join('\n');
    if (!subset.length || seenSubsets.has(key)) continue;
    seenSubsets.add(key);
    subsets.push(subset);
  }
  // Calibrate once for every tensor any of them needs (a subset may quantize a tensor on its own
  // that the full set quantizes with its input's parameters).
  let observers = new Map<string, Observer>();
  const observe = new Set<string>();
  for (const subset of subsets)
    for (const t of planActivations(prepared, new Set(subset.map((p) => p.node)), constants).observe)
      observe.add(t);
  if (observe.size) {
    const task = startTask(
      ctx.progress,
      PASSES('calibrate'),
      Math.min(o.calibrationSamples, calibrationData!.length),
      'samples',
      `calibrating (${o.calibration})`,
    );
    observers = await calibrate(prepared, calibrator!, calibrationData, [...observe], {
      method: o.calibration,
      percentile: o.percentile,
      limit: o.calibrationSamples,
      batchSize: o.batchSize,
      signal: ctx.signal,
      onProgress: (done) => task.update(done),
    });
    task.end();
  }
  const actTarget = { dataType: o.activationType, symmetric: o.symmetricActivations } as const;
  const paramsCache = new Map<string, QuantParams>();
  const paramsOf = (plan: ActivationPlan, t: string): QuantParams => {
    const root = plan.sharedWith.get(t) ?? t;
    let p = paramsCache.get(root);
    if (!p) {
      const observer = observers.get(root);
      if (!observer)
        throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `activation '${root}' was not calibrated`, {
          field: root,
        });
      p = observer.params(actTarget);
      paramsCache.set(root, p);
    }
    const b = plan.bounds.get(t) ?? plan.bounds.get(root);
    return b ? fitBounds(p, b) : p;
  };

  const lowBitEntry = (p: NodePlan, scheme: WeightScheme): WeightOnlyEntry => ({
    weight: p.weight,
    scheme,
    axis: o.perChannel ? p.axis : 0,
    method: o.weightRange === 'auto' ? undefined : o.weightRange,
    ...(o.blockSize && (scheme === 'int4' || scheme === 'uint4') && p.axis === 0
      ? { blockSize: o.blockSize }
      : {}),
    node: p.node,
  });

  const build = (
    staticSet: readonly NodePlan[],
    dynamicSet: readonly NodePlan[],
    name: string,
  ): Candidate => {
    let g = prepared;
    const layers: QuantizedLayerReport[] = [];
    const inStatic = new Set(staticSet);
    const inDynamic = new Set(dynamicSet);
    if (staticSet.length) {
      const plan = planActivations(g, new Set(staticSet.map((p) => p.node)), constants);
      const activations = new Map(plan.tensors.map((t) => [t, paramsOf(plan, t)] as const));
      const weights = new Map(staticSet.map((p) => [p.node, int8Weights.get(p)!] as const));
      g = buildStaticQdq(g, { weights, plan, activations, constants });
    }
    if (dynamicSet.length)
      g = quantizeDynamic(
        g,
        dynamicSet.map((p) => p.node),
        { weightType: o.dynamicWeightType },
      );
    const entries: WeightOnlyEntry[] = [];
    const seen = new Set<string>();
    for (const p of plans) {
      if (p.bits === 32 || inStatic.has(p) || inDynamic.has(p) || seen.has(p.weight)) continue;
      seen.add(p.weight);
      entries.push(lowBitEntry(p, schemeForBits(p.bits)!));
    }
    const wo = quantizeWeightsOnly(g, entries);
    const formats = new Map(wo.records.map((r) => [r.weight, r.format] as const));
    for (const p of plans) {
      const compute = inStatic.has(p) ? 'int8' : inDynamic.has(p) ? 'dynamic' : 'float';
      const storage = inStatic.has(p)
        ? 'int8-qdq'
        : inDynamic.has(p)
          ? `${o.dynamicWeightType}-dynamic`
          : (formats.get(p.weight) ?? 'float');
      const note =
        compute === 'float' && p.bits === 8
          ? (notes.get(p) ?? (o.mode === 'weight-only' ? 'mode weight-only' : undefined))
          : undefined;
      const ratio = layerRatios.get(p);
      layers.push({
        node: p.label,
        opType: p.node.opType,
        groups: p.groups,
        bits: p.bits,
        source: p.source,
        compute,
        storage,
        ...(ratio !== undefined ? { layerRatio: round3(ratio) } : {}),
        ...(note ? { note } : {}),
      });
    }
    return {
      name,
      graph: wo.graph,
      integer: staticSet.length + dynamicSet.length > 0,
      layers,
      weights: wo.records,
    };
  };

  const candidates: Candidate[] = subsets.map((subset) =>
    build(subset, [], `int8 (${subset.length} of ${eight.length} 8-bit layers)`),
  );
  if (dynamicNodes.length)
    candidates.push(build([], dynamicNodes, `dynamic (${dynamicNodes.length} layers)`));
  candidates.push(build([], [], 'weight-only'));

  let chosen: Candidate | undefined;
  let gate: GateReport | undefined;
  if (gateBackend) {
    gate = { backend: gateBackend.name, batchSize: o.gateBatch, tried: [], decision: '' };
    const task = startTask(
      ctx.progress,
      PASSES('gate'),
      candidates.length,
      'candidates',
      `timing against float in ${gateBackend.name}`,
    );
    for (const c of candidates) {
      if (c.weights.length === 0 && !c.integer) {
        gate.tried.push({ candidate: c.name, accepted: false, error: 'nothing to quantize' });
        continue;
      }
      if (!c.integer) {
        // A float-compute layout (weights decoded from 8/4/2/1 bits or float16) is the float graph
        // once onnxruntime has constant-folded the decoding at load time (see the weight-only test
        // that compares the optimized graphs), so it cannot be slower; timing it would only measure
        // the noise of other processes and could wrongly reject it.
        gate.tried.push({ candidate: c.name, accepted: true, note: 'float compute after load-time folding of the weight decoding' });
        task.tick();
        chosen = c;
        break;
      }
      try {
        const cmp = await compareLatency(gateBackend, graph, c.graph, {
          batchSize: o.gateBatch,
          runs: o.gateRuns,
          signal: ctx.signal,
        });
        const ok = cmp.ratio < 1 - o.requiredSpeedup && cmp.minRatio < 1;
        gate.tried.push({ candidate: c.name, comparison: roundComparison(cmp), accepted: ok });
        task.tick();
        if (ok) {
          chosen = c;
          break;
        }
      } catch (error) {
        if (!isMetacompressError(error) || error.code === ErrorCodes.ABORTED) throw error;
        gate.tried.push({ candidate: c.name, error: error.reason, accepted: false });
        task.tick();
      }
    }
    task.end();
    gate.decision = chosen
      ? chosen.name
      : 'float (no quantized layout was at least as fast as the float model)';
    if (!chosen)
      log(
        ctx.progress,
        'warn',
        `quantize: every quantized layout was slower than float in ${gateBackend.name}; returning the float graph`,
        'quantize',
      );
  } else {
    chosen = candidates[0];
  }

  const result = chosen?.graph ?? graph;
  const bytesBefore = await fileBytes(graph);
  const bytesAfter = chosen ? await fileBytes(result) : bytesBefore;
  const report: Record<string, unknown> = {
    mode: o.mode,
    calibration: observe.size
      ? {
          method: o.calibration,
          samples: Math.min(o.calibrationSamples, calibrationData?.length ?? 0),
          tensors: observe.size,
        }
      : null,
    emitted: chosen?.name ?? 'float',
    bytes: { before: bytesBefore, after: bytesAfter, ratio: round3(bytesBefore / bytesAfter) },
    layers: chosen?.layers ?? [],
    weights: chosen?.weights.map((w) => ({ ...w, relativeError: round3(w.relativeError) })) ?? [],
    skipped,
    gate: gate ?? { decision: 'skipped (gate: false)' },
  };
  if (calibrationData && calibrator && chosen?.integer) {
    report.agreement = await agreement(
      calibrator,
      graph,
      result,
      calibrationData,
      Math.min(o.batchSize, calibrationData.length),
    );
  }
  return { graph: result, report };
}

function safeShapes(graph: Graph, batchSize: number): ReturnType<typeof inferShapes> {
  try {
    return inferShapes(graph, { batchSize });
  } catch {
    return new Map();
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function roundComparison(c: LatencyComparison): LatencyComparison {
  return {
    ...c,
    referenceMs: round3(c.referenceMs),
    candidateMs: round3(c.candidateMs),
    ratio: round3(c.ratio),
    referenceMinMs: round3(c.referenceMinMs),
    candidateMinMs: round3(c.candidateMinMs),
    minRatio: round3(c.minRatio),
  };
}

/** Share of samples of one calibration batch where both graphs pick the same top-1 class. */
async function agreement(
  backend: InferenceBackend<Graph>,
  a: Graph,
  b: Graph,
  data: NonNullable<OperatorContext['data']['calibration']>,
  n: number,
): Promise<number> {
  const input = calibrationInput(a);
  for (const batch of data.batches(n, { limit: n })) {
    const [ra, rb] = [
      await backend.run(a, { [input]: batch.inputs }),
      await backend.run(b, { [input]: batch.inputs }),
    ];
    const out = a.outputs[0].name;
    const ya = ra[out].data as Float32Array;
    const yb = rb[out].data as Float32Array;
    const rows = batch.labels.length;
    const cols = ya.length / rows;
    let same = 0;
    for (let r = 0; r < rows; r++) {
      let ia = 0;
      let ib = 0;
      for (let c = 1; c < cols; c++) {
        if (ya[r * cols + c] > ya[r * cols + ia]) ia = c;
        if (yb[r * cols + c] > yb[r * cols + ib]) ib = c;
      }
      if (ia === ib) same++;
    }
    return round3(same / rows);
  }
  return 1;
}
