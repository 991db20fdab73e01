import type { Dataset, InferenceBackend, Policy } from '@metacompress/core';
import { foldConstants, toFloat32, type Graph, type Selector } from '@metacompress/ir';
import { calibrate } from './calibrate';
import type { CalibrationMethod } from './calibration-methods';
import { activationFakeQuantSpec, weightFakeQuantSpec, type FakeQuantSpec } from './fake-quant';
import { planWeights, schemeForBits } from './plan';
import { fitBounds, planActivations } from './static-qdq';

/** Options of {@link fakeQuantSpecs}. */
export interface FakeQuantSpecsOptions {
  /** Bits of selected nodes the policy says nothing about (default 8). */
  bits?: number;
  selector?: Selector;
  /** With `calibration`: the backend that runs the float graph to calibrate activations. */
  backend?: InferenceBackend<Graph>;
  /** Data to calibrate activation ranges on; without it only weights get specs. */
  calibration?: Dataset;
  method?: CalibrationMethod;
  /** Calibration samples (default 512). */
  limit?: number;
  activationType?: 'uint8' | 'int8';
}

/**
 * Which tensors get fake quantization during quantization-aware fine-tuning, and with which
 * parameters — exactly what {@link quantize} will deploy: every weight the policy quantizes
 * (int8/int4 affine per channel, ternary, binary; float16 and float32 weights get none) and, when
 * calibration data is given, the activations around the layers that can compute in int8 (their
 * ranges calibrated on the float graph, Relu/Clip bounds applied).
 *
 * A differentiable executor applies a spec by replacing the tensor `t` with `fakeQuantize(t, spec)`
 * in the forward pass and multiplying the incoming gradient by the straight-through mask
 * `fakeQuantizeGrad` in the backward pass (weights keep their float "latent" values, which the
 * optimizer updates). Recompute weight specs from the current weights every few steps
 * ({@link weightFakeQuantSpec}) so scales follow the weights.
 *
 * Specs name tensors of the graph after `foldConstants` (BatchNormalization is not folded here:
 * fold it before fine-tuning if the deployed graph will be folded).
 *
 * @example
 * const specs = await fakeQuantSpecs(graph, policy, { backend: ortWeb, calibration });
 * specs.filter((s) => s.kind === 'activation').map((s) => s.tensor);
 */
export async function fakeQuantSpecs(
  graph: Graph,
  policy: Policy | undefined,
  options: FakeQuantSpecsOptions = {},
): Promise<FakeQuantSpec[]> {
  const g = foldConstants(graph);
  const plans = planWeights(g, policy, {
    bits: options.bits ?? 8,
    ...(options.selector ? { selector: options.selector } : {}),
  });
  const constants = new Map(g.initializers.map((t) => [t.name, t] as const));
  const specs: FakeQuantSpec[] = [];
  const done = new Set<string>();
  for (const p of plans) {
    const scheme = schemeForBits(p.bits, { node: p.label });
    if (!scheme || scheme === 'fp16' || done.has(p.weight)) continue;
    done.add(p.weight);
    const w = constants.get(p.weight)!;
    specs.push(
      weightFakeQuantSpec(p.weight, toFloat32(w), w.dims, {
        scheme,
        axis: p.axis,
        method: p.bits < 8 ? 'mse' : 'minmax',
        node: p.label,
      }),
    );
  }
  if (options.backend && options.calibration) {
    const staticNodes = new Set(plans.filter((p) => p.bits === 8 && p.staticEligible).map((p) => p.node));
    if (staticNodes.size) {
      const plan = planActivations(g, staticNodes, constants);
      const observers = await calibrate(g, options.backend, options.calibration, plan.observe, {
        method: options.method,
        limit: options.limit,
      });
      const target = { dataType: options.activationType ?? 'uint8' } as const;
      for (const t of plan.tensors) {
        let params = observers.get(plan.sharedWith.get(t) ?? t)!.params(target);
        const bounds = plan.bounds.get(t);
        if (bounds) params = fitBounds(params, bounds);
        specs.push(activationFakeQuantSpec(t, params));
      }
    }
  }
  return specs;
}
