import type { AnalyticsApi } from './api/analytics-api.js';

// The seed interface's analytics methods, typed on the store wherever this package is imported.
declare module '@mainframe-kb/storage-core' {
  interface PluginMethods {
    storePrediction: AnalyticsApi['storePrediction'];
    getAnalytics: AnalyticsApi['getAnalytics'];
  }
}
