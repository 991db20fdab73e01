import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Condition that makes sibling packages resolve to their TypeScript sources (no build needed). */
export const sourceCondition = '@metacompress/source';

/** The workspace root (this file's folder). */
export const workspaceRoot = dirname(fileURLToPath(import.meta.url));

/** Where every package's vitest run writes its JSON results; `.ci/run` adds them up. */
export const resultsDir = resolve(workspaceRoot, '.vitest-results');

/**
 * Shared vitest settings for every package: sibling packages resolve to `src/` through the
 * `@metacompress/source` export condition (dependencies from npm load as Node loads them, CJS or
 * ESM), and each run also writes `.vitest-results/<folder>.json`.
 *
 * @example
 * // packages/prune/vitest.config.ts
 * import { packageTestConfig } from '../../vitest.shared.ts';
 * export default packageTestConfig(import.meta.dirname);
 */
export function packageTestConfig(packageDir: string, overrides: ViteUserConfig['test'] = {}) {
  const conditions = [sourceCondition, 'module', 'node', 'import', 'default'];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: [sourceCondition] } },
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
      reporters: ['default', 'json'],
      outputFile: { json: resolve(resultsDir, `${basename(packageDir)}.json`) },
      ...overrides,
    },
  });
}
