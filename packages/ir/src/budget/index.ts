export { bisectMonotone, type BisectResult } from './bisect';
export {
  createCostEstimator,
  estimateCost,
  type CostEstimate,
  type CostEstimator,
  type CostEstimatorOptions,
  type CostMetric,
  type KeepCounts,
} from './cost-estimator';
export { keepCandidates, keepCount, type KeepRounding } from './keep-count';
export {
  freeGroups,
  refineKeeps,
  solveBudget,
  solveUniformRatio,
  uniformFamily,
  type BudgetSolution,
  type CostBudget,
  type KeepFamily,
  type SolveBudgetOptions,
} from './solve-budget';
