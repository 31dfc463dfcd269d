/**
 * The seed interface's methods that later packages provide, with the extension and package that provide
 * them. Core knows only these names, never the packages' code.
 */
export const FLAT_METHOD_PROVIDERS = {
  createPattern: { extension: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  getPatterns: { extension: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  updatePattern: { extension: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  storeCodeAnalysis: { extension: 'code', package: '@mainframe-kb/plugin-code' },
  getCodeAnalysis: { extension: 'code', package: '@mainframe-kb/plugin-code' },
  linkCodeToKB: { extension: 'code', package: '@mainframe-kb/plugin-code' },
  storeTemplate: { extension: 'templates', package: '@mainframe-kb/plugin-templates' },
  getTemplates: { extension: 'templates', package: '@mainframe-kb/plugin-templates' },
  storePrediction: { extension: 'analytics', package: '@mainframe-kb/plugin-analytics' },
  getAnalytics: { extension: 'analytics', package: '@mainframe-kb/plugin-analytics' },
  backup: { extension: 'backup', package: '@mainframe-kb/backup' },
  restore: { extension: 'backup', package: '@mainframe-kb/backup' },
  export: { extension: 'io-formats', package: '@mainframe-kb/io-formats' },
  import: { extension: 'io-formats', package: '@mainframe-kb/io-formats' },
} as const;

export type FlatMethodName = keyof typeof FLAT_METHOD_PROVIDERS;

/** Default package of a known extension id, for loading it from `config.mvp.extensions`. */
export function defaultPackageOf(extensionId: string): string {
  for (const provider of Object.values(FLAT_METHOD_PROVIDERS)) {
    if (provider.extension === extensionId) return provider.package;
  }
  return `@mainframe-kb/plugin-${extensionId}`;
}
