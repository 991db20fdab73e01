import { REPORT_VERSION, type CompressionReport } from './types';

/**
 * A realistic report (a wide LeNet-5 on MNIST, MACs budget 0.25, int8 weights, one gate fallback)
 * for tests and for looking at the HTML page. A fresh object on every call.
 *
 * @example
 * const report = sampleReport(); report.policy.groups[0].id = '<script>alert(1)</script>';
 */
export function sampleReport(): CompressionReport {
  return {
    reportVersion: REPORT_VERSION,
    tool: { name: 'metacompress', version: '0.1.0' },
    createdAt: '2025-03-14T09:26:53.000Z',
    input: {
      path: '/home/ada/models/lenet5-wide.onnx',
      format: 'onnx',
      sha256: '9f2c1e0b7d4a55e1c3b8a6f0d2e4c6a8b0d2f4e6a8c0e2f4a6b8c0d2e4f6a8b0',
    },
    output: { path: '/home/ada/models/lenet5-wide.small.onnx', format: 'onnx', bytes: 114873 },
    dataset: { name: 'mnist', trainSamples: 60000, testSamples: 10000 },
    budget: { metric: 'macs', ratio: 0.25, achieved: 0.24688 },
    policy: {
      source: 'meta (zero-shot)',
      groups: [
        { id: '/conv1/Conv', channelsBefore: 32, channelsAfter: 16, keep: 0.5, weightBits: 8 },
        { id: '/conv2/Conv', channelsBefore: 64, channelsAfter: 30, keep: 0.47, weightBits: 8 },
        { id: '/fc1/Gemm', channelsBefore: 512, channelsAfter: 128, keep: 0.25, weightBits: 8 },
        { id: '/fc2/Gemm', channelsBefore: 128, channelsAfter: 64, keep: 0.5 },
      ],
    },
    before: {
      params: 643850,
      macs: 4328704,
      bytes: 2575400,
      fileBytes: 2576310,
      accuracy: 0.9912,
      loss: 0.0281,
      latencyMs: {
        batch1: { medianMs: 0.412, p10Ms: 0.398, p90Ms: 0.447, runs: 50 },
        batch64: { medianMs: 9.84, p10Ms: 9.61, p90Ms: 10.42, runs: 20 },
      },
    },
    after: {
      params: 82920,
      macs: 1068672,
      bytes: 111552,
      fileBytes: 114873,
      accuracy: 0.9874,
      loss: 0.0402,
      latencyMs: {
        batch1: { medianMs: 0.171, p10Ms: 0.163, p90Ms: 0.188, runs: 50 },
        batch64: { medianMs: 3.02, p10Ms: 2.94, p90Ms: 3.25, runs: 20 },
      },
    },
    steps: [
      {
        operator: 'meta-policy',
        durationMs: 640,
        report: { learner: 'reptile', adaptSteps: 0, projectionShift: -0.412 },
      },
      { operator: 'prune', durationMs: 85, report: { criterion: 'l1', groups: 4, removedChannels: 498 } },
      {
        operator: 'quantize',
        durationMs: 1240,
        report: {
          scheme: 'int8 per-channel, weight-only',
          calibrationSamples: 512,
          gate: { '/fc2/Gemm': { int8Ms: 4.23, fp32Ms: 3.02, kept: 'float32' } },
        },
      },
      {
        operator: 'distill',
        durationMs: 41300,
        report: { epochs: 2, samples: 60000, temperature: 4, finalLoss: 0.0398 },
      },
    ],
    backend: { tfjs: 'tfjs-wasm', runtime: 'ort-web', threads: 1 },
    durationMs: 52870,
    warnings: [
      "quantize: int8 weights made '/fc2/Gemm' 1.40× slower than float32 in ort-web; kept float32 (gate fallback)",
    ],
  };
}
