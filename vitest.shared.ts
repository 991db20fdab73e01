import { basename, resolve } from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Condition that makes sibling packages resolve to their TypeScript sources (no build needed). */
export const sourceCondition = '@metacompress/source';

/**
 * Shared vitest settings for every package: sibling packages resolve to `src/`, and each run
 * also writes a JSON result file that `.ci/run` adds up.
 */
export function packageTestConfig(packageDir: string, overrides: ViteUserConfig['test'] = {}) {
  const resultsDir = resolve(packageDir, '../../.vitest-results');
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
