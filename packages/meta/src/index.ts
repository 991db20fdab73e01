/**
 * @packageDocumentation
 * The meta-learned compression policy network of Metacompress, its featurizer, budget projection and learners (MAML, first-order MAML, Reptile).
 */
export {};
