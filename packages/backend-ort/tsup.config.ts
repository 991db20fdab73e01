import { defineConfig } from 'tsup';

export default defineConfig({
  // `base` is the side-effect-free entry; `index` also registers the backends.
  entry: ['src/index.ts', 'src/base.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [] } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Keep the registration inside index itself so `sideEffects` stays accurate (no shared chunk holds it).
  splitting: false,
});
