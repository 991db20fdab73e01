#!/usr/bin/env node
// The `metacompress` command. This launcher is committed (not built) so that `npm ci` can link the
// command before the first build; it runs the built CLI, dist/cli.js, which starts on import.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'metacompress: the CLI is not built yet; run `npm run build` in the repository first\n',
  );
  process.exit(1);
}
await import(cli.href);
