import type { TemplatesApi } from './api/templates-api.js';

// The seed interface's template methods, typed on the store wherever this package is imported.
declare module '@mainframe-kb/storage-core' {
  interface PluginMethods {
    storeTemplate: TemplatesApi['storeTemplate'];
    getTemplates: TemplatesApi['getTemplates'];
  }
}
