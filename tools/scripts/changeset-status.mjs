#!/usr/bin/env node
// @ts-check
/**
 * Runs `changeset status` so that it also works where the base branch is not checked out (a CI
 * checkout of a detached commit, a clone whose default branch has another name): it compares with
 * the base branch when it exists, else with `origin/<base>`, else with HEAD (nothing to compare).
 * Outside a git checkout there is nothing to compare and it says so.
 *
 * `changeset status` also counts uncommitted edits as changes. In a working tree with uncommitted
 * edits (a developer's `npm test`) a missing changeset is therefore reported but does not fail;
 * on a clean checkout (CI, `.ci/run`) it fails, as it should.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { workspaceRoot } from './workspace-packages.mjs';

/** @param {string[]} args */
const git = (args) => spawnSync('git', args, { cwd: workspaceRoot, stdio: 'ignore' }).status === 0;

if (!git(['rev-parse', '--git-dir'])) {
  console.log('changeset status: not a git checkout, nothing to compare; skipped');
  process.exit(0);
}
const config = JSON.parse(readFileSync(join(workspaceRoot, '.changeset', 'config.json'), 'utf8'));
const base = config.baseBranch ?? 'main';
/** @type {string[]} */
const args = [];
if (git(['rev-parse', '--verify', '--quiet', `refs/heads/${base}`])) {
  // the default: compare with the base branch
} else if (git(['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${base}`])) {
  args.push(`--since=origin/${base}`);
} else {
  console.log(`changeset status: no '${base}' branch here; comparing with HEAD`);
  args.push('--since=HEAD');
}
const require = createRequire(import.meta.url);
const cliDir = dirname(require.resolve('@changesets/cli/package.json'));
const bin = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')).bin;
const binPath = join(cliDir, typeof bin === 'string' ? bin : bin.changeset);
const run = spawnSync(process.execPath, [binPath, 'status', ...args], {
  cwd: workspaceRoot,
  stdio: 'inherit',
});
const dirty =
  spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: workspaceRoot,
    encoding: 'utf8',
  }).stdout.trim() !== '';
if (run.status !== 0 && dirty) {
  console.log(
    'changeset status: failed on a working tree with uncommitted edits; not counted here (a clean checkout must pass)',
  );
  process.exit(0);
}
process.exit(run.status ?? 1);
