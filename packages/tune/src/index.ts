/**
 * @nn/tune — hyperparameter search: search spaces on the right scales, random/TPE/grid samplers,
 * pruning, and storages from memory to SQLite to PostgreSQL.
 */
export {
  uniform,
  int,
  loguniform,
  oneMinusLog,
  categorical,
  distributionFromJSON,
  Distribution,
  UniformDistribution,
  IntDistribution,
  LogUniformDistribution,
  OneMinusLogDistribution,
  CategoricalDistribution,
} from './distributions.js';
export type { CategoricalChoice, ParamValue, DistributionJSON } from './distributions.js';
export {
  TuneError,
  InvalidDistributionError,
  ParamConflictError,
  TrialPruned,
  InvalidObjectiveValueError,
  StorageError,
  StudyNotFoundError,
  InvalidOptionError,
  NoCompletedTrialError,
  TrialResultNotSavedError,
  type UnsavedResult,
} from './errors.js';
export { Rng, deriveSeed, hashString } from './prng.js';
export { study, loadStudy, Study } from './study.js';
export type { Objective, StudyOptions, OptimizeOptions } from './study.js';
export { Trial } from './trial.js';
export type { Direction, TrialState, FrozenTrial, StoredParam, StudyRecord, Storage, TrialPatch } from './types.js';
export type { Sampler, SamplerContext, SamplerSpec } from './samplers/sampler.js';
export { random, RandomSampler } from './samplers/random.js';
export { tpe, TpeSampler, defaultWeights, groupDecompose } from './samplers/tpe.js';
export type { TpeOptions } from './samplers/tpe.js';
export { grid, GridSampler } from './samplers/grid.js';
export type { GridOptions } from './samplers/grid.js';
export type { Pruner, PrunerContext, PrunerSpec } from './pruners/pruner.js';
export { NopPruner } from './pruners/pruner.js';
export { medianPruner, MedianPruner } from './pruners/median.js';
export type { MedianPrunerOptions } from './pruners/median.js';
export { successiveHalving, SuccessiveHalvingPruner, hyperband, HyperbandPruner } from './pruners/successive-halving.js';
export type { SuccessiveHalvingOptions, HyperbandOptions } from './pruners/successive-halving.js';
export type { SamplerLike, PrunerLike } from './resolve.js';
export { MemoryStorage } from './storage/memory.js';
export { SqliteStorage } from './storage/sqlite.js';
export type { SqliteStorageOptions } from './storage/sqlite.js';
export { PostgresStorage, isTransientPgError } from './storage/postgres.js';
export type { PostgresStorageOptions, PostgresRetryOptions } from './storage/postgres.js';
export { openStorage } from './storage/open.js';
export type { ObjectiveModule } from './workers.js';
export { trialsTable, trialsToCsv } from './results.js';
export type { TrialRow } from './results.js';
export type { VegaLiteSpec } from './plots.js';
export { tuneModel, directionForMetric } from './keras.js';
export type { TuneModelOptions, TuneModelResult, FittableModel, EpochCallback, Logs } from './keras.js';
export { parameterImportance, NotEnoughTrialsError } from './importance.js';
export type { ImportanceOptions } from './importance.js';
export { fanova } from './fanova.js';
export type { FanovaColumn, FanovaOptions } from './fanova.js';
