import type { Env, InferenceSession, Tensor } from 'onnxruntime-web';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * The part of an onnxruntime JavaScript module this package uses. `onnxruntime-web` and
 * `onnxruntime-node` both provide it (they share `onnxruntime-common`'s API), so one implementation
 * serves both.
 *
 * @example
 * const ort: OrtModule = await loadOrtWeb();
 * const session = await ort.InferenceSession.create(bytes);
 */
export interface OrtModule {
  InferenceSession: { create(buffer: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: typeof Tensor;
  env: Env;
}

/** An onnxruntime session, as created by {@link OrtModule}. */
export type OrtSession = InferenceSession;

/** An onnxruntime tensor, as created by {@link OrtModule}. */
export type OrtTensor = Tensor;

let webModule: Promise<OrtModule> | undefined;
let nodeModule: Promise<OrtModule> | undefined;

function loadFailure(pkg: string, backend: string, error: unknown): MetacompressError {
  const message = error instanceof Error ? error.message : String(error);
  return new MetacompressError(ErrorCodes.BACKEND_FAILED, `cannot load ${pkg}: ${message}`, { backend }, { cause: error });
}

/**
 * Loads `onnxruntime-web` once per process (its Node build runs the wasm engine) and returns the
 * cached module afterwards. Logging is set to errors only.
 *
 * @example
 * const ort = await loadOrtWeb();
 * ort.env.versions.web; // '1.30.0'
 */
export function loadOrtWeb(): Promise<OrtModule> {
  webModule ??= import('onnxruntime-web').then(
    (m) => {
      const ort = ((m as { default?: OrtModule }).default ?? m) as unknown as OrtModule;
      ort.env.logLevel = 'error';
      return ort;
    },
    (error: unknown) => {
      webModule = undefined;
      throw loadFailure('onnxruntime-web', 'ort-web', error);
    },
  );
  return webModule;
}

/**
 * Loads `onnxruntime-node` (an optional dependency with native CPU binaries) once per process.
 * Rejects with `MC_BACKEND_FAILED` when it is not installed or its binary does not load; the
 * failure is not cached, so a later call tries again.
 *
 * @example
 * const ort = await loadOrtNode().catch(() => loadOrtWeb());
 */
export function loadOrtNode(): Promise<OrtModule> {
  // A variable specifier keeps bundlers from trying to resolve the optional package at build time.
  const specifier = 'onnxruntime-node';
  nodeModule ??= (import(/* @vite-ignore */ specifier) as Promise<unknown>).then(
    (m) => {
      const ort = ((m as { default?: OrtModule }).default ?? m) as OrtModule;
      if (typeof ort?.InferenceSession?.create !== 'function') {
        throw new Error('the module does not export InferenceSession.create');
      }
      ort.env.logLevel = 'error';
      return ort;
    },
    (error: unknown) => {
      nodeModule = undefined;
      throw loadFailure('onnxruntime-node', 'ort-node', error);
    },
  );
  return nodeModule.catch((error: unknown) => {
    nodeModule = undefined;
    throw error instanceof MetacompressError ? error : loadFailure('onnxruntime-node', 'ort-node', error);
  });
}
