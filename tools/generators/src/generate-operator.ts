/**
 * `npm run generate:operator -- <name> [--dir <folder>] [--description <text>]`
 *
 * Scaffolds `metacompress-operator-<name>`: an operator plugin package written with
 * `defineOperator`, with a passing test, a README and a tsup build. Without `--dir` it lands in
 * this repository's `packages/` (a workspace package, configured like its siblings); with `--dir`
 * elsewhere it is a standalone package that depends on the published `@metacompress/*`.
 */
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateOperatorPackage, GeneratorError, workspaceRoot } from './operator';

const usage = `Usage: npm run generate:operator -- <name> [--dir <folder>] [--description <text>]

  <name>                 the operator's name, kebab-case (lowrank, weight-sharing);
                         the package is metacompress-operator-<name>
  --dir <folder>         where to create the package folder (default: packages/ of this repository)
  --description <text>   one line that says what the operator does
  -h, --help             show this help
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        description: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`generate:operator: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(
      `generate:operator: expected one operator name, got ${parsed.positionals.length}\n\n${usage}`,
    );
    return 2;
  }
  // npm runs scripts from the repository root; relative paths mean the caller's folder.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  try {
    const out = await generateOperatorPackage({
      name: parsed.positionals[0],
      ...(parsed.values.dir !== undefined ? { dir: resolve(cwd, parsed.values.dir) } : {}),
      ...(parsed.values.description !== undefined ? { description: parsed.values.description } : {}),
    });
    const rel = relative(cwd, out.packageDir);
    const shown = rel.startsWith('..') ? out.packageDir : rel;
    process.stdout.write(`created ${out.packageName} in ${shown} (${out.flavor} package):\n`);
    for (const file of out.files) process.stdout.write(`  ${file}\n`);
    const inRepo = out.flavor === 'workspace' && !relative(workspaceRoot, out.packageDir).startsWith('..');
    process.stdout.write(
      inRepo
        ? `\nnext: npm install   (links the new workspace package)\n      npx nx test ${out.packageName}\n`
        : `\nnext: cd ${shown} && npm install && npm test\n`,
    );
    process.stdout.write(
      'then replace the body of apply() in src/ with your algorithm (docs/writing-an-operator.md).\n',
    );
    return 0;
  } catch (error) {
    if (error instanceof GeneratorError) {
      process.stderr.write(`generate:operator: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
