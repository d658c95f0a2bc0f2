/**
 * @nn/monitor — see what training is doing: bias/variance analysis, training and learning
 * curves, plots (Vega-Lite → SVG/PNG), TensorBoard event files, MLflow tracking, gradient and
 * activation health, and a live dashboard (`nn-monitor <logdir>`).
 */
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export {
  biasVariance,
  HIGH_BIAS_ADVICE,
  HIGH_VARIANCE_ADVICE,
  type BiasVarianceOptions,
  type BiasVarianceResult,
  type BiasVarianceVerdict,
  type ErrorRates,
} from './bias-variance.js';
export { BiasVarianceReport, type BiasVarianceReportOptions } from './bias-variance-report.js';
export {
  higherIsBetter,
  learningCurve,
  learningCurves,
  rateKind,
  trainingCurves,
  type CurveKind,
  type LearningCurve,
  type LearningCurveOptions,
  type LearningCurvePoint,
  type MetricDiagnosis,
  type TrainingCurves,
  type TrainingCurvesOptions,
} from './curves.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard/server.js';
export {
  InvalidErrorRateError,
  InvalidOptionError,
  LogDirNotFoundError,
  MalformedLogLineError,
  MlflowRequestError,
  MonitorError,
  UnsupportedPlotFormatError,
} from './errors.js';
export { ActivationRecorder, activationStats, type ActivationStats, type HookableModule, type ModuleTreeLike } from './health/activations.js';
export {
  GradientHealthMonitor,
  gradientHealth,
  type GradientHealthMonitorOptions,
  type GradientHealthOptions,
  type GradientHealthReport,
  type HealthWarning,
  type ParameterHealth,
} from './health/gradient-health.js';
export { initDemo, initDemoSpec, type DemoInit, type InitDemoLayer, type InitDemoOptions, type InitDemoResult } from './health/init-demo.js';
export { JsonlLogger, type JsonlLoggerOptions, type LogLine, type RunMeta } from './jsonl-logger.js';
export { analyzeRun, assertLogDir, parseMetricsJsonl, readLogDir, readRun, type RunAnalysis, type RunData } from './log-dir.js';
export {
  LOG_BATCH_LIMITS,
  MlflowClient,
  type MlflowClientOptions,
  type MlflowKeyValue,
  type MlflowMetric,
  type MlflowRunStatus,
} from './mlflow/client.js';
export { MlflowLogger, type MlflowLoggerOptions } from './mlflow/logger.js';
export { renderPng, renderSvg, savePlot, svgToPng, type PngOptions, type VegaLiteSpec } from './plot.js';
export { TensorBoard, type TensorBoardOptions } from './tensorboard/callback.js';
export { crc32c, frameRecord, maskedCrc32c } from './tensorboard/crc32c.js';
export { makeHistogram, type Histogram, type SummaryValue } from './tensorboard/protos.js';
export { SummaryWriter, type SummaryWriterOptions } from './tensorboard/summary-writer.js';
export type { Callback, HistoryLike, Logs, ModelLike, ParameterLike, TensorLike } from './types.js';
export {
  classReportPlot,
  confusionMatrixPlot,
  misclassifiedGrid,
  misclassifiedGridPng,
  mostConfidentErrors,
  type ConfusionMatrixPlotOptions,
  type Misclassified,
  type MisclassifiedGridOptions,
} from './error-analysis.js';
export {
  ERROR_ANALYSIS_FILE,
  parseErrorAnalysis,
  writeErrorAnalysis,
  type ErrorAnalysisData,
  type ErrorAnalysisInput,
  type ErrorAnalysisMistake,
} from './error-analysis-file.js';
