/**
 * @packageDocumentation
 * Calibrated post-training quantization, low-bit weights, fp16 and fake-quant for QAT, exported as
 * ONNX QDQ, for Metacompress. The `quantize` operator plans bits per coupling group from a policy,
 * calibrates activations (min-max, percentile, entropy, MSE), writes onnxruntime's QDQ layout where
 * the integer kernels are measurably faster, stores every other weight in 8/4/2/1 bits or float16,
 * and proves the result is not slower than the float model in onnxruntime-web before returning it.
 *
 * @example
 * import { compress } from '@metacompress/core';
 * import { quantize } from '@metacompress/quantize';
 * const { graph: int8 } = await compress(graph, [quantize], { policy, data: { calibration } });
 */
export {
  quantize,
  quantizeOptions,
  type GateReport,
  type QuantizedLayerReport,
  type QuantizeOptions,
} from './quantize-operator';
export {
  QUANT_DATA_TYPES,
  bitsOfQuantType,
  computeQuantParams,
  dequantizeValues,
  levels,
  quantRange,
  quantizeValues,
  roundHalfEven,
  type ComputeQuantParamsOptions,
  type QuantDataType,
  type QuantParams,
  type QuantRangeOptions,
} from './qparams';
export { Histogram } from './histogram';
export {
  CALIBRATION_METHODS,
  klThreshold,
  rangeEntropy,
  rangeMinMax,
  rangeMse,
  rangePercentile,
  type CalibrationMethod,
  type RangeTarget,
  type RealRange,
} from './calibration-methods';
export { createObserver, type Observer, type ObserverOptions, type TensorRange } from './observer';
export { calibrate, calibrationInput, type CalibrateOptions } from './calibrate';
export {
  WEIGHT_SCHEMES,
  bitsOfScheme,
  checkFinite,
  dequantizeWeight,
  groupFunction,
  quantizeWeight,
  type QuantizeWeightOptions,
  type QuantizedWeight,
  type WeightRangeMethod,
  type WeightScheme,
} from './weight-quantizers';
export { packCodes, unpackCodes, type PackedBits } from './pack-bits';
export { encodeFp16Weight, encodeQuantizedWeight, type EncodedWeight } from './weight-storage';
export { quantizeWeightsOnly, relativeRms, type WeightOnlyEntry, type WeightOnlyRecord } from './weight-only';
export { quantizeDynamic, type DynamicQuantizeOptions } from './dynamic';
export {
  QDQ_OWN_PARAMS,
  QDQ_PASS_THROUGH,
  STATIC_OPS,
  buildStaticQdq,
  fitBounds,
  planActivations,
  staticWeightAxis,
  type ActivationPlan,
  type StaticQdqInput,
} from './static-qdq';
export { WEIGHT_OPS, planWeights, schemeForBits, type NodePlan, type PlanWeightsOptions } from './plan';
export {
  compareLatency,
  singleLayerModels,
  type CompareLatencyOptions,
  type LatencyComparison,
  type LayerBenchInput,
  type LayerTiming,
} from './latency-gate';
export {
  activationFakeQuantSpec,
  fakeQuantize,
  fakeQuantizeGrad,
  weightFakeQuantSpec,
  type FakeQuantSpec,
  type WeightFakeQuantOptions,
} from './fake-quant';
export { fakeQuantSpecs, type FakeQuantSpecsOptions } from './qat';
