import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library entry (ESM + CJS + types). Cleaning spares the CLI bundle, built alongside.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { customConditions: [] } },
    clean: ['!cli.js', '!cli.js.map'],
    sourcemap: true,
    target: 'node20',
    // import.meta.url (e.g. reading package.json) works in the CJS build too.
    shims: true,
  },
  {
    // The `metacompress` command: ESM only, run through bin/metacompress.js.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    clean: false,
    sourcemap: true,
    target: 'node20',
  },
]);
