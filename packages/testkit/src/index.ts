// Public surface of @mainframe-kb/testkit: the conformance suite every dialect and plugin runs, the
// seed-anchor fixtures, and the synthetic corpus and query generators the search benchmarks use.

export { bundleChild } from './children/child-bundle.js';
export type { ConformanceTarget } from './conformance/conformance-helpers.js';
export {
  expectStorageError,
  rowsFor,
  sampleEntry,
  snapshotEntries,
} from './conformance/conformance-helpers.js';
export { defineConformanceSuite } from './conformance/conformance-suite.js';
export { HOSTILE_STRINGS } from './conformance/hostile-input-conformance.js';
export type { PluginConformanceOptions, PluginRoundTrip } from './conformance/plugin-conformance.js';
export { definePluginConformance, reachableHandles } from './conformance/plugin-conformance.js';
export type { CorpusOptions, CorpusProfile, CorpusRecord } from './corpus/corpus-generator.js';
export {
  chunked,
  generateCorpus,
  generateCorpusArray,
  generateCorpusRecords,
  generateSkewedCorpus,
  SKEWED_BOILERPLATE,
  SKEWED_CODE_SKEW,
  SKEWED_FILLER_TERMS,
} from './corpus/corpus-generator.js';
export type { CodeFamily, MainframeCode } from './corpus/mainframe-vocabulary.js';
export {
  COMMON_PHRASES,
  COMMON_PREFIXES,
  MAINFRAME_CODES,
  TYPO_TARGETS,
} from './corpus/mainframe-vocabulary.js';
export type {
  BenchmarkQuery,
  CodeQuery,
  CommonQuery,
  PhraseQuery,
  PrefixQuery,
  QueryMix,
  QueryOptions,
  QueryScoreSummary,
  TypoEdit,
  TypoQuery,
} from './corpus/query-generator.js';
export {
  DEFAULT_QUERY_MIX,
  generateQueries,
  misspellings,
  SKEWED_COMMON_QUERIES,
  SKEWED_QUERY_MIX,
  SKEWED_TYPO_TARGETS,
  scoreQuery,
  skewedQueryOptions,
  summarizeScores,
} from './corpus/query-generator.js';
export type { EntryText } from './corpus/text-match.js';
export { containsTokenSequence, entryContains, entryText, tokenize } from './corpus/text-match.js';
export { mainframeSamplesDir } from './fixtures/mainframe-samples.js';
export type { MockKbEntry, SeedTemplateFile } from './fixtures/seed-anchor.js';
export {
  defaultSeedAnchorDir,
  loadEssentialKb,
  loadMockKbData,
  loadPortugueseFaq,
  loadSeedAnchorEntries,
  loadSeedDataSql,
  loadSeedTemplateFile,
  SEED_TEMPLATE_FILES,
  splitFaqContent,
} from './fixtures/seed-anchor.js';
export type { Seed } from './random/seeded-random.js';
export { SeededRandom, WeightedPicker, zipfWeights } from './random/seeded-random.js';
export {
  rawAccessPlugin,
  rawContext,
  rawDb,
  rawDialect,
  tamperAudit,
} from './raw-access/raw-access-plugin.js';
export type { TestDialect, TestStores } from './servers/server-stores.js';
export {
  availableTestStores,
  mysqlStores,
  postgresStores,
  skipReason,
  sqliteStores,
  TEST_DATABASE_ENV,
  testDatabaseUrl,
} from './servers/server-stores.js';
