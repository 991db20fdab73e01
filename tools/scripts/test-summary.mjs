#!/usr/bin/env node
// @ts-check
/**
 * Adds up the vitest JSON results that every package's run writes to `.vitest-results/*.json`
 * (see vitest.shared.ts) and prints, last, one plain line: `N passed, N failed`.
 * A test file that failed to load counts as one failed test. Exits 1 when anything failed.
 *
 * Usage: node tools/scripts/test-summary.mjs [resultsDir]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { workspaceRoot } from './workspace-packages.mjs';

const dir = resolve(process.argv[2] ?? join(workspaceRoot, '.vitest-results'));
let passed = 0;
let failed = 0;
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];
for (const file of files) {
  const name = file.replace(/\.json$/, '');
  let result;
  try {
    result = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch (error) {
    console.log(`${name}: unreadable results (${/** @type {Error} */ (error).message})`);
    failed += 1;
    continue;
  }
  /** @type {{ status?: string; assertionResults?: unknown[]; name?: string }[]} */
  const suites = result.testResults ?? [];
  const brokenFiles = suites.filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0);
  const p = Number(result.numPassedTests ?? 0);
  const f = Number(result.numFailedTests ?? 0) + brokenFiles.length;
  const skipped = Number(result.numPendingTests ?? 0) + Number(result.numTodoTests ?? 0);
  passed += p;
  failed += f;
  console.log(
    `${name}: ${p} passed, ${f} failed${skipped ? `, ${skipped} skipped` : ''}${p + f === 0 ? ' (no tests)' : ''}`,
  );
}
if (files.length === 0) console.log(`no vitest results in ${dir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
