// Metrics (Keras `keras.metrics`): stateful objects computed on the host, and the resolver.
export { Mean, MeanMetricWrapper, type Metric, type HostBatch } from './metric';
export {
  BinaryAccuracy,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
  TopKCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  MeanSquaredError,
  MeanAbsoluteError,
  MisclassificationError,
  getMetric,
  resolveAccuracyKind,
  type AccuracyKind,
  type MetricContext,
} from './metrics';
export { Precision, Recall, F1Score, type ThresholdOptions, type F1Options } from './confusion';
export {
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  topKCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
} from './functions';
export {
  AUC,
  averagePrecisionScore,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  precisionRecallCurve,
  rocAucScore,
  rocCurve,
  type AUCOptions,
  type AucOptions,
  type ClassificationReport,
  type ClassificationReportOptions,
  type ClassScores,
  type ConfusionMatrixOptions,
  type Curve,
  type LabelsLike,
  type ScoresLike,
} from './classification';
