import type { PatternsApi } from './api/patterns-api.js';

// The seed interface's pattern methods, typed on the store wherever this package is imported. They are the
// API's own functions (see `provides` in patterns-plugin.ts), so their types are the API's.
declare module '@mainframe-kb/storage-core' {
  interface PluginMethods {
    createPattern: PatternsApi['createPattern'];
    getPatterns: PatternsApi['getPatterns'];
    updatePattern: PatternsApi['updatePattern'];
  }
}
