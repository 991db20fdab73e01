/**
 * The files of a generated operator plugin package, as text. Two flavors:
 * - `workspace`: a package inside this monorepo (e.g. `packages/metacompress-operator-lowrank`),
 *   configured like its siblings (shared tsconfig and vitest config, the `@metacompress/source`
 *   condition, publint);
 * - `standalone`: a package anywhere else, with its own configs and tool devDependencies, that
 *   depends on the published `@metacompress/core` and `@metacompress/ir`.
 */

/** What the templates need to know. */
export interface OperatorTemplateInput {
  /** Operator name, kebab-case: `lowrank`, `weight-sharing`. */
  name: string;
  /** The exported identifier, camelCase: `lowrank`, `weightSharing`. */
  identifier: string;
  /** `metacompress-operator-<name>`. */
  packageName: string;
  description: string;
  flavor: 'workspace' | 'standalone';
  /** Semver ranges for dependencies, e.g. `{ '@metacompress/core': '^0.1.0', vitest: '^4.1.12' }`. */
  versions: Record<string, string>;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function packageJson(t: OperatorTemplateInput): string {
  const workspace = t.flavor === 'workspace';
  const entry = {
    ...(workspace ? { '@metacompress/source': './src/index.ts' } : {}),
    import: { types: './dist/index.d.ts', default: './dist/index.js' },
    require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
  };
  const hosts = {
    '@metacompress/core': t.versions['@metacompress/core'],
    '@metacompress/ir': t.versions['@metacompress/ir'],
  };
  const tools = workspace
    ? {}
    : {
        '@types/node': t.versions['@types/node'],
        tsup: t.versions.tsup,
        typescript: t.versions.typescript,
        vitest: t.versions.vitest,
      };
  return json({
    name: t.packageName,
    version: '0.1.0',
    description: t.description,
    keywords: ['metacompress', 'metacompress-operator', 'model-compression', 'onnx'],
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': entry, './package.json': './package.json' },
    files: workspace ? ['dist', 'src', '!src/**/*.test.ts', 'README.md'] : ['dist', 'README.md'],
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsup',
      typecheck: 'tsc -p tsconfig.json',
      test: 'vitest run',
      ...(workspace
        ? { publint: 'publint --strict' }
        : { prepublishOnly: 'npm run typecheck && npm test && npm run build' }),
    },
    peerDependencies: hosts,
    devDependencies: { ...hosts, ...tools },
  });
}

function tsconfig(t: OperatorTemplateInput): string {
  if (t.flavor === 'workspace') {
    return json({
      extends: '../../tsconfig.base.json',
      compilerOptions: { allowImportingTsExtensions: true },
      include: ['src', '*.ts'],
    });
  }
  return json({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      noImplicitOverride: true,
      noFallthroughCasesInSwitch: true,
      isolatedModules: true,
      esModuleInterop: true,
      skipLibCheck: true,
      declaration: true,
      noEmit: true,
    },
    include: ['src', '*.ts'],
  });
}

function tsupConfig(t: OperatorTemplateInput): string {
  // In the monorepo, declarations must come from the siblings' built types, not their sources.
  const dts = t.flavor === 'workspace' ? '{ compilerOptions: { customConditions: [] } }' : 'true';
  return `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: ${dts},
  clean: true,
  sourcemap: true,
  target: 'node20',
});
`;
}

function vitestConfig(t: OperatorTemplateInput): string {
  if (t.flavor === 'workspace') {
    return `import { packageTestConfig } from '../../vitest.shared.ts';

export default packageTestConfig(import.meta.dirname);
`;
  }
  return `import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
`;
}

function indexTs(t: OperatorTemplateInput): string {
  return `/**
 * @packageDocumentation
 * ${t.packageName}: ${t.description}
 * A Metacompress operator plugin. Its default export is the operator, which is what
 * \`metacompress compress --operator ${t.packageName}\` loads.
 *
 * @example
 * import { ${t.identifier} } from '${t.packageName}';
 * const { graph: out } = await compress(graph, [${t.identifier}.with({ threshold: 0.01 })], { policy });
 */
export { ${t.identifier}, ${t.identifier}Options } from './${t.name}';
export { ${t.identifier} as default } from './${t.name}';
`;
}

function operatorTs(t: OperatorTemplateInput): string {
  return `import { defineOperator, ErrorCodes, log, MetacompressError, option } from '@metacompress/core';
import { DataType, toFloat32, withFloat32, type Graph, type Tensor } from '@metacompress/ir';

/** The options of {@link ${t.identifier}}, typed and self-describing (shown by \`--help\` and in errors). */
export const ${t.identifier}Options = {
  threshold: option.number('weights whose magnitude is below this become 0', 1e-3, { min: 0 }),
  minRank: option.integer('only change initializers with at least this many dimensions (2 spares biases)', 2, { min: 0 }),
};

/**
 * \`${t.name}\`: ${t.description}
 *
 * The scaffold zeroes small float32 weights (magnitude pruning, Han et al. 2015, "Learning both
 * Weights and Connections for Efficient Neural Networks") so that it does something real and
 * testable. Replace the body of \`apply\` with your algorithm and cite its paper here. Keep it pure:
 * build new tensors and a new graph, share what you do not change, never mutate \`graph\`.
 *
 * @example
 * const { graph: out, steps } = await compress(graph, [${t.identifier}.with({ threshold: 0.01 })], { policy });
 * steps[0].report; // { changedTensors: 3, zeroed: 1234, total: 60000 }
 */
export const ${t.identifier} = defineOperator<Graph, typeof ${t.identifier}Options>({
  name: '${t.name}',
  description: ${JSON.stringify(t.description)},
  options: ${t.identifier}Options,
  // \`_policy\` holds per-group keep ratios and weight bits (read them with policyFor(policy, group));
  // this scaffold applies one threshold everywhere, so it does not read the policy.
  apply(graph, _policy, ctx, { threshold, minRank }) {
    let zeroed = 0;
    let total = 0;
    let changedTensors = 0;
    const initializers = graph.initializers.map((tensor: Tensor): Tensor => {
      if (ctx.signal?.aborted) {
        throw new MetacompressError(ErrorCodes.ABORTED, 'cancelled', { field: \`initializers.\${tensor.name}\` });
      }
      const floatWeight = tensor.dataType === DataType.FLOAT && tensor.dims.length >= minRank && tensor.raw !== undefined;
      if (!floatWeight) return tensor;
      const values = toFloat32(tensor); // may be a view of the tensor's bytes: read it, never write it
      const out = new Float32Array(values.length);
      let changed = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) {
          throw new MetacompressError(ErrorCodes.NAN_WEIGHTS, \`element \${i} is \${v}\`, { field: \`initializers.\${tensor.name}\` });
        }
        if (Math.abs(v) < threshold && v !== 0) changed++;
        out[i] = Math.abs(v) < threshold ? 0 : v;
      }
      total += values.length;
      zeroed += changed;
      if (changed === 0) return tensor; // unchanged tensors are shared, not copied
      changedTensors++;
      return withFloat32(tensor, tensor.dims, out);
    });
    log(ctx.progress, 'info', \`zeroed \${zeroed} of \${total} weights in \${changedTensors} tensors\`, '${t.name}');
    return { graph: { ...graph, initializers }, report: { changedTensors, zeroed, total } };
  },
});
`;
}

function operatorTestTs(t: OperatorTemplateInput): string {
  return `import { describe, expect, it } from 'vitest';
import { compress, identityPolicy, isOperator } from '@metacompress/core';
import { createTensor, DataType, toFloat32, type Graph } from '@metacompress/ir';
import plugin, { ${t.identifier} } from './index';

/** y = x · w + b with a 2×2 weight and a bias, as the IR holds it. */
function tinyGraph(weights: number[], bias: number[] = [0.03125, 1]): Graph {
  const vector = { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [1, 2] };
  return {
    name: 'tiny',
    nodes: [
      { name: 'matmul', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['xw'], attributes: {} },
      { name: 'add', opType: 'Add', domain: '', inputs: ['xw', 'b'], outputs: ['y'], attributes: {} },
    ],
    inputs: [{ name: 'x', type: vector }],
    outputs: [{ name: 'y', type: vector }],
    valueInfo: [],
    initializers: [
      createTensor('w', DataType.FLOAT, [2, 2], new Float32Array(weights)),
      createTensor('b', DataType.FLOAT, [2], new Float32Array(bias)),
    ],
    model: { irVersion: 8, opsetImports: [{ domain: '', version: 13 }], metadataProps: [] },
  };
}

describe('${t.name}', () => {
  it('is an operator named ${t.name}, exported by default for --operator', () => {
    expect(isOperator(plugin)).toBe(true);
    expect(plugin).toBe(${t.identifier});
    expect(${t.identifier}.name).toBe('${t.name}');
    expect(${t.identifier}.parseOptions({})).toEqual({ threshold: 1e-3, minRank: 2 });
  });

  it('zeroes small weights, spares biases, reports, and leaves the input graph untouched', async () => {
    const input = tinyGraph([0.5, -0.0625, 0.25, -2]);
    const { graph, steps } = await compress(input, [${t.identifier}.with({ threshold: 0.1 })], { policy: identityPolicy() });
    expect(Array.from(toFloat32(graph.initializers[0]))).toEqual([0.5, 0, 0.25, -2]);
    expect(Array.from(toFloat32(graph.initializers[1]))).toEqual([0.03125, 1]);
    expect(steps[0].report).toEqual({ changedTensors: 1, zeroed: 1, total: 4 });
    expect(Array.from(toFloat32(input.initializers[0]))).toEqual([0.5, -0.0625, 0.25, -2]);
  });

  it('parses options from command-line strings and rejects bad ones, naming the operator and option', async () => {
    expect(${t.identifier}.parseOptions({ threshold: '0.5', minRank: '1' })).toEqual({ threshold: 0.5, minRank: 1 });
    await expect(compress(tinyGraph([1, 1, 1, 1]), [${t.identifier}.with({ threshold: -1 })], { policy: identityPolicy() })).rejects.toMatchObject({
      code: 'MC_INVALID_ARGUMENT',
      details: { operator: '${t.name}', field: '${t.name}.options.threshold' },
    });
  });

  it('refuses NaN weights with a typed error naming the operator and the tensor', async () => {
    await expect(compress(tinyGraph([1, Number.NaN, 1, 1]), [${t.identifier}], { policy: identityPolicy() })).rejects.toMatchObject({
      code: 'MC_NAN_WEIGHTS',
      details: { operator: '${t.name}', field: 'initializers.w' },
    });
  });
});
`;
}

function readme(t: OperatorTemplateInput): string {
  const develop =
    t.flavor === 'workspace'
      ? `Inside the Metacompress monorepo (run \`npm install\` once so the workspace links this package):

\`\`\`sh
npx nx test ${t.packageName}        # vitest
npx nx typecheck ${t.packageName}
npx nx build ${t.packageName}       # ESM + CJS + types into dist/ (tsup)
npm test                            # the whole repository, this package included
\`\`\``
      : `\`\`\`sh
npm install
npm test               # vitest
npm run typecheck
npm run build          # ESM + CJS + types into dist/ (tsup)
\`\`\``;
  return `# ${t.packageName}

\`\`\`sh
npx metacompress compress model.onnx --target params=0.5 --operator ${t.packageName} -o small.onnx
\`\`\`

\`\`\`ts
import { readFile } from 'node:fs/promises';
import { compress, parsePolicy } from '@metacompress/core';
import { loadOnnx, saveOnnx } from '@metacompress/ir';
import { ${t.identifier} } from '${t.packageName}';

const policy = parsePolicy(await readFile('policy.json', 'utf8'), { file: 'policy.json' });
const graph = await loadOnnx('model.onnx');
const { graph: small, steps } = await compress(graph, [${t.identifier}.with({ threshold: 0.01 })], { policy });
await saveOnnx(small, 'small.onnx');
\`\`\`

${t.description} A Metacompress operator plugin, written with \`defineOperator\` (the recipe is
*docs/writing-an-operator.md* in the Metacompress repository).

## Options

| option | kind | default | meaning |
| --- | --- | --- | --- |
| \`threshold\` | number ≥ 0 | \`0.001\` | weights whose magnitude is below this become 0 |
| \`minRank\` | integer ≥ 0 | \`2\` | only change initializers with at least this many dimensions (2 spares biases) |

Errors are \`MetacompressError\`s naming the operator (\`${t.name}\`): \`MC_INVALID_ARGUMENT\` for a bad
option, \`MC_NAN_WEIGHTS\` for a weight that is NaN or infinite (the field names the tensor).

## Develop

${develop}

## Publish

Bump the version (in the monorepo: \`npx changeset\`, then \`npx changeset version\`), then
\`npm publish\`. The package declares \`@metacompress/core\` and \`@metacompress/ir\` as peer
dependencies, so it shares the host's copies.
`;
}

const gitignore = `node_modules/
dist/
*.tgz
`;

/**
 * Every file of a generated operator package, keyed by its path inside the package.
 *
 * @example
 * const files = operatorPackageFiles({ name: 'lowrank', identifier: 'lowrank', packageName: 'metacompress-operator-lowrank',
 *   description: 'Low-rank factorization', flavor: 'standalone', versions });
 * Object.keys(files); // ['package.json', 'README.md', ..., 'src/lowrank.ts', 'src/lowrank.test.ts']
 */
export function operatorPackageFiles(t: OperatorTemplateInput): Record<string, string> {
  return {
    'package.json': packageJson(t),
    'README.md': readme(t),
    'tsconfig.json': tsconfig(t),
    'tsup.config.ts': tsupConfig(t),
    'vitest.config.ts': vitestConfig(t),
    ...(t.flavor === 'standalone' ? { '.gitignore': gitignore } : {}),
    'src/index.ts': indexTs(t),
    [`src/${t.name}.ts`]: operatorTs(t),
    [`src/${t.name}.test.ts`]: operatorTestTs(t),
  };
}
