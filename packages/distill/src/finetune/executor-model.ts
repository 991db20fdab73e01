import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { ModelFactory } from './trainable-model';

/**
 * The default {@link ModelFactory}: the differentiable IR executor of `@metacompress/backend-tfjs`.
 *
 * @example
 * const model = await executorModelFactory(graph, { role: 'student' });
 */
export const executorModelFactory: ModelFactory = async () => {
  throw new MetacompressError(
    ErrorCodes.UNSUPPORTED_OP,
    'the IR executor of @metacompress/backend-tfjs is not available yet',
    {
      backend: 'backend-tfjs',
    },
  );
};
