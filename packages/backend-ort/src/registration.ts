import type { BackendRegistry } from '@metacompress/core';
import { backends } from '@metacompress/core';
import { createOrtNodeBackend, createOrtWebBackend, type OrtBackendOptions } from './ort-backend';

/** Registry name of the onnxruntime-web backend. */
export const ORT_WEB = 'ort-web';
/** Registry name of the onnxruntime-node backend. */
export const ORT_NODE = 'ort-node';
/** Priority of {@link ORT_WEB}: always available, the reference for browser latency. */
export const ORT_WEB_PRIORITY = 10;
/** Priority of {@link ORT_NODE}: preferred when its native binary loads (it is several times faster). */
export const ORT_NODE_PRIORITY = 20;

/**
 * Registers both onnxruntime backends (kind `inference`) in a registry (the process-wide one by
 * default). `ort-node` has the higher priority, so `resolve('inference')` picks it whenever
 * onnxruntime-node loads and falls back to `ort-web` otherwise; pick `ort-web` explicitly for
 * browser-representative latency. Importing `@metacompress/backend-ort` does this for you.
 *
 * @example
 * registerOrtBackends(registry, { numThreads: 1 });
 * const web = await registry.resolve<OrtBackend>('inference', [ORT_WEB]);
 */
export function registerOrtBackends(registry: BackendRegistry = backends, options: Omit<OrtBackendOptions, 'name'> = {}): void {
  registry.register({ name: ORT_WEB, kind: 'inference', priority: ORT_WEB_PRIORITY, init: () => createOrtWebBackend({ ...options, name: ORT_WEB }) });
  registry.register({ name: ORT_NODE, kind: 'inference', priority: ORT_NODE_PRIORITY, init: () => createOrtNodeBackend({ ...options, name: ORT_NODE }) });
}
