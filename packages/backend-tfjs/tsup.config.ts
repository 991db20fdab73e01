import { defineConfig } from 'tsup';

export default defineConfig({
  // `index` registers the backends in core's registry (a side effect); `base` is the same API
  // without that, for bundlers and for callers that register explicitly.
  entry: ['src/index.ts', 'src/base.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // import.meta.url locates the .wasm files and loads optional packages; shim it in the CJS build.
  shims: true,
});
