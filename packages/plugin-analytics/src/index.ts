// Public surface of @mainframe-kb/plugin-analytics. The package's default export is the plugin definition
// (`analyticsPlugin`); every other public name is exported here explicitly.
import './flat-methods.js';

export {
  ANALYTICS_PACKAGE,
  ANALYTICS_PERMISSIONS,
  ANALYTICS_VERSION,
  analyticsPlugin,
  default,
} from './analytics-plugin.js';
export type { AnalyticsApi, AnalyticsData, SeriesOptions } from './api/analytics-api.js';
export type { AnalyticsOptions, AnalyticsOptionsInput } from './api/analytics-options.js';
export { analyticsOptionsSchema } from './api/analytics-options.js';
export type { AnalyticsContext } from './api/api-context.js';
export type {
  AutoDecision,
  AutoDecisionKind,
  AutoLogEntry,
  AutoOutcomeKind,
  AutoReviewKind,
} from './api/auto-api.js';
export type { IncidentsPort, IncidentView } from './api/incidents-port.js';
export type { ModelQuery, ModelVerification, SaveModelInput } from './api/models-api.js';
export type {
  ForecastDay,
  ForecastOptions,
  ForecastResult,
  RecommendOptions,
  RecommendResult,
  ScoreResult,
} from './api/predictions-api.js';
export { FORECAST_MODEL, FORECAST_TYPE, RECOMMENDATION_TYPE } from './api/predictions-api.js';
export type { AutoLogProblem, AutoLogVerification, AutoRowFields } from './auto/auto-log.js';
export { AUTO_GENESIS, autoRowHash } from './auto/auto-log.js';
export { analyticsCommand } from './cli/analytics-command.js';
export type { Dataset, DatasetInput, DatasetMember, Split } from './datasets/datasets.js';
export { membershipChecksum, SPLITS, splitOf } from './datasets/datasets.js';
export type { ModelInfo, ModelSource } from './model-store/model-store.js';
export type { CalibrationBin, ProbabilityOutcome, RankedPrediction, TopKResult } from './models/accuracy.js';
export { brierScore, calibration, meanAbsoluteError, topKAccuracy } from './models/accuracy.js';
export type {
  BacktestOptions,
  BacktestResult,
  ForecastModel,
  SeasonalForecastResult,
  SeasonalOptions,
  SelectedForecast,
} from './models/forecast.js';
export {
  backtest,
  DEFAULT_SMOOTHING,
  naiveForecast,
  seasonalForecast,
  seasonalNaiveForecast,
  selectedForecast,
} from './models/forecast.js';
export type { IncidentText, Recommendation } from './models/recommender.js';
export {
  RECOMMENDER_MODEL,
  RECOMMENDER_VERSION,
  recommendationQuery,
} from './models/recommender.js';
export type { AccuracyFilter, ModelAccuracy } from './predictions/accuracy-report.js';
export type { Scored } from './predictions/scoring.js';
export { scoreOutcome } from './predictions/scoring.js';
export type {
  AnalyticsDatabase,
  AnalyticsTables,
  AutoResolutionRow,
  DatasetRow,
  ModelRow,
  ModelStage,
  PredictionRow,
  SnapshotRow,
} from './schema/analytics-database.js';
export { ANALYTICS_MIGRATIONS, analyticsSchemaMigration } from './schema/analytics-migrations.js';
export type { Counters, Dimension, PeriodCounters } from './series/counters.js';
export { COUNTER_NAMES, DIMENSIONS } from './series/counters.js';
export type { MetricDefinition, MetricName, MetricPoint } from './series/metrics.js';
export { METRIC_NAMES, METRICS } from './series/metrics.js';
export type { Interval } from './series/periods.js';
export { bucketOf, INTERVALS, weekOf } from './series/periods.js';
export type { MetricSeries, SeriesResult, SnapshotResult } from './series/series-service.js';
export type {
  OutcomeInput,
  Prediction,
  PredictionData,
  PredictionQuery,
  TimeRange,
} from './types.js';
export { outcomeInputSchema, predictionInputSchema } from './types.js';
