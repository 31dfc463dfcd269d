/**
 * The seed interface's methods that later packages provide, with the plugin and package that provide
 * them. Core knows only these names, never the packages' code.
 */
export const FLAT_METHOD_PROVIDERS = {
  createPattern: { plugin: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  getPatterns: { plugin: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  updatePattern: { plugin: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  storeCodeAnalysis: { plugin: 'code', package: '@mainframe-kb/plugin-code' },
  getCodeAnalysis: { plugin: 'code', package: '@mainframe-kb/plugin-code' },
  linkCodeToKB: { plugin: 'code', package: '@mainframe-kb/plugin-code' },
  storeTemplate: { plugin: 'templates', package: '@mainframe-kb/plugin-templates' },
  getTemplates: { plugin: 'templates', package: '@mainframe-kb/plugin-templates' },
  storePrediction: { plugin: 'analytics', package: '@mainframe-kb/plugin-analytics' },
  getAnalytics: { plugin: 'analytics', package: '@mainframe-kb/plugin-analytics' },
  backup: { plugin: 'backup', package: '@mainframe-kb/backup' },
  restore: { plugin: 'backup', package: '@mainframe-kb/backup' },
  export: { plugin: 'io-formats', package: '@mainframe-kb/io-formats' },
  import: { plugin: 'io-formats', package: '@mainframe-kb/io-formats' },
} as const;

export type FlatMethodName = keyof typeof FLAT_METHOD_PROVIDERS;

/** Default package of a known extension id, for loading it from `config.mvp.extensions`. */
export function defaultPackageOf(pluginId: string): string {
  for (const provider of Object.values(FLAT_METHOD_PROVIDERS)) {
    if (provider.plugin === pluginId) return provider.package;
  }
  return `@mainframe-kb/plugin-${pluginId}`;
}
