import type { CodeApi } from './api/code-api.js';

// The seed interface's code methods, typed on the store wherever this package is imported. They are the
// API's own functions (see `provides` in code-plugin.ts), so their types are the API's.
declare module '@mainframe-kb/storage-core' {
  interface PluginMethods {
    storeCodeAnalysis: CodeApi['storeCodeAnalysis'];
    getCodeAnalysis: CodeApi['getCodeAnalysis'];
    linkCodeToKB: CodeApi['linkCodeToKB'];
  }
}
