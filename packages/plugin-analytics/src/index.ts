// @mainframe-kb/plugin-analytics — MVP5: series, predictions with tracked accuracy, models, auto-resolution.
// Every public name is exported here explicitly. So far: the accuracy measures and the forecasters the
// plugin's predictions will be scored with; the plugin itself (tables, API, commands) is not built yet.
export type { CalibrationBin, ProbabilityOutcome, RankedPrediction, TopKResult } from './models/accuracy.js';
export { brierScore, calibration, meanAbsoluteError, topKAccuracy } from './models/accuracy.js';
export type {
  BacktestOptions,
  BacktestResult,
  ForecastModel,
  SeasonalForecastResult,
  SeasonalOptions,
} from './models/forecast.js';
export {
  backtest,
  DEFAULT_SMOOTHING,
  naiveForecast,
  seasonalForecast,
  seasonalNaiveForecast,
} from './models/forecast.js';
