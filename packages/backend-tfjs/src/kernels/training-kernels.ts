import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter';
import { conv2DBackpropInputKernel } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterKernel } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dNativeBackpropInputKernel } from './depthwise-conv2d-backprop-input';
import { explicitSamePaddingKernel } from './explicit-same-padding';
import { maxPoolGradKernel, maxPoolWithArgmaxKernel } from './max-pool-positions';
import { maxPoolSelectKernel, MaxPoolSelect } from './max-pool-select';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum';

/** How a composed kernel is installed on a backend. */
export type KernelInstall = 'if-missing' | 'replace';

/** One kernel this package can supply, and on which backends. */
export interface TrainingKernelSpec {
  kernelName: string;
  /** Makes the kernel; `existing` is the backend's own kernel of that name, if any. */
  make: (backendName: string, existing: KernelConfig | undefined) => KernelConfig;
  /** Backend name → how to install; backends not listed get nothing. `*` applies to all others. */
  install: Record<string, KernelInstall>;
  /** Kernels the composition needs on the backend. */
  needs: string[];
}

/**
 * The kernels this package supplies. On wasm the conv filter gradients, the depthwise input
 * gradient and `UnsortedSegmentSum` are missing and are added; `Conv2DBackpropInput` is replaced
 * (the stock one is a scalar loop, 5–14× slower on training-sized convolutions; it still serves
 * tiny ones, see `conv2DBackpropInputRoute`); `MaxPoolGrad`/`MaxPoolWithArgmax` are replaced (the
 * stock ones drop the gradient of windows whose maximum is ≤ 0); and the forward convolutions get
 * SAME padding as explicit pads (see `explicitSamePaddingKernel`). On cpu the composed filter
 * gradients replace the native ones, which are 4–60× slower (see `bench/kernels.bench.ts`); the
 * cpu's own `Conv2DBackpropInput` and `DepthwiseConv2dNativeBackpropInput` are kept (faster there).
 * Every backend gets {@link MaxPoolSelect}.
 *
 * @example
 * TRAINING_KERNELS.filter((k) => k.install.wasm).map((k) => k.kernelName);
 */
export const TRAINING_KERNELS: readonly TrainingKernelSpec[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    make: conv2DBackpropFilterKernel,
    install: { wasm: 'if-missing', cpu: 'replace' },
    needs: ['Conv2D', 'Transpose', 'PadV2', 'Slice'],
  },
  {
    kernelName: 'Conv2DBackpropInput',
    make: conv2DBackpropInputKernel,
    install: { wasm: 'replace' },
    needs: ['Conv2D', 'Reshape', 'Transpose', 'PadV2', 'Slice'],
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    make: depthwiseConv2dNativeBackpropFilterKernel,
    install: { wasm: 'if-missing', cpu: 'replace' },
    needs: ['DepthwiseConv2dNative', 'Transpose', 'Reshape', 'PadV2', 'Slice', 'Sum'],
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    make: depthwiseConv2dNativeBackpropInputKernel,
    install: { wasm: 'if-missing' },
    needs: ['DepthwiseConv2dNative', 'Reverse', 'Reshape', 'PadV2', 'Slice', 'Sum'],
  },
  {
    kernelName: 'UnsortedSegmentSum',
    make: unsortedSegmentSumKernel,
    install: { wasm: 'if-missing' },
    needs: [],
  },
  {
    kernelName: 'MaxPoolGrad',
    make: maxPoolGradKernel,
    install: { wasm: 'replace' },
    needs: [],
  },
  {
    kernelName: 'MaxPoolWithArgmax',
    make: maxPoolWithArgmaxKernel,
    install: { wasm: 'replace' },
    needs: [],
  },
  ...(['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'] as const).map(
    (kernelName): TrainingKernelSpec => ({
      kernelName,
      make: (_backend, existing) => explicitSamePaddingKernel(existing!, kernelName.includes('Depthwise')),
      install: { wasm: 'replace' },
      needs: [kernelName],
    }),
  ),
  {
    kernelName: MaxPoolSelect,
    make: maxPoolSelectKernel,
    install: { '*': 'if-missing' },
    needs: ['MaxPoolWithArgmax', 'GatherV2', 'Reshape'],
  },
];

const natives = new Map<string, KernelConfig>();
const installed = new Map<string, string[]>();

/**
 * Installs this package's composed kernels on a tfjs backend (by backend name: `wasm`, `cpu`,
 * `tensorflow`), as {@link TRAINING_KERNELS} says. Idempotent. Returns the kernel names installed
 * now or earlier.
 *
 * @example
 * registerTrainingKernels('wasm'); // ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', …]
 */
export function registerTrainingKernels(backendName: string): string[] {
  const done = installed.get(backendName);
  if (done) return [...done];
  const names: string[] = [];
  for (const spec of TRAINING_KERNELS) {
    const how = spec.install[backendName] ?? spec.install['*'];
    if (!how) continue;
    if (spec.needs.some((k) => getKernel(k, backendName) == null)) continue;
    const existing = getKernel(spec.kernelName, backendName);
    if (existing && how === 'if-missing') continue;
    if (existing) {
      natives.set(`${backendName}:${spec.kernelName}`, existing);
      unregisterKernel(spec.kernelName, backendName);
    }
    registerKernel(spec.make(backendName, existing));
    names.push(spec.kernelName);
  }
  installed.set(backendName, names);
  return [...names];
}

/**
 * The backend's own kernel that {@link registerTrainingKernels} replaced, if any (for benchmarks
 * and tests that compare against it).
 *
 * @example
 * const slow = nativeKernel('Conv2DBackpropFilter', 'cpu');
 */
export function nativeKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  return (
    natives.get(`${backendName}:${kernelName}`) ??
    (installed.get(backendName)?.includes(kernelName) ? undefined : getKernel(kernelName, backendName))
  );
}
