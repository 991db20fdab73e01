import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { defineCriterion, type Criterion } from '../criterion';
import { aggregateSlices, readSlices } from '../group-importance';

/**
 * BatchNorm scale (network slimming): a channel's importance is |γ|, the scale its
 * BatchNormalization (or InstanceNormalization) applies, averaged (slice-normalized) over every
 * normalization layer of the group. Needs a model that still has its BN layers (`*-bn.onnx`, not
 * a folded one): a group without one throws `MC_UNSUPPORTED_OP` naming the group. Liu et al.,
 * "Learning Efficient Convolutional Networks through Network Slimming", ICCV 2017.
 *
 * @example
 * await compress(graphWithBn, [channelPrune.with({ criterion: bnScale })], { policy });
 */
export const bnScale: Criterion = defineCriterion({
  name: 'bn-scale',
  description: '|γ| of the BatchNormalization after each channel (network slimming; Liu et al. 2017)',
  score: (graph, groups) =>
    new Map(
      groups.map((g) => {
        const gammas = readSlices(graph, g).filter(
          (s) =>
            s.slice.role === 'bn' &&
            s.inputIndex === 1 &&
            (s.reader?.opType === 'BatchNormalization' || s.reader?.opType === 'InstanceNormalization'),
        );
        if (gammas.length === 0) {
          throw new MetacompressError(
            ErrorCodes.UNSUPPORTED_OP,
            'the group has no BatchNormalization scale to rank by (was BN folded into the convs? use a model that keeps BN, or another criterion)',
            { group: g.id },
          );
        }
        const per = gammas.map((s) => Float64Array.from(s.channels, (v) => Math.abs(v[0])));
        return [g.id, aggregateSlices(per, g.channels)];
      }),
    ),
});
