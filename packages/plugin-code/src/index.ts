// Public surface of @mainframe-kb/plugin-code. The package's default export is the plugin definition
// (`codePlugin`); every other public name is exported here explicitly.
import './events.js';
import './flat-methods.js';

export type { AnalyzedSource, MemberResolver } from './analysis/analyze-source.js';
export { analyzeSource, memberName } from './analysis/analyze-source.js';
export { detectLanguage, looksBinary } from './analysis/detect-language.js';
export type {
  CobolStructure,
  CodeIssue,
  CodeStructure,
  CodeSymbol,
  CopybookFieldSummary,
  CopybookStructure,
  JclStructure,
} from './analysis/structure-types.js';
export { symbolsOf } from './analysis/symbols.js';
// The plugin's API and the types it speaks.
export type { CodeApi, CodeContext } from './api/code-api.js';
export { IMPORTED_REPOSITORY } from './api/code-api.js';
export type {
  CallInfo,
  CicsOption,
  CobolAnalysis,
  ConditionKind,
  ControlFlowEdge,
  DataItem,
  DivisionInfo,
  ExecCicsBlock,
  ExecSqlBlock,
  FileDescription,
  HandledCondition,
  ParagraphInfo,
  ParagraphRef,
  ProgramInfo,
  RecordInfo,
  SectionInfo,
  SelectEntry,
  SqlHostVariable,
} from './cobol/analysis-types.js';
export type { AnalyzeCobolOptions } from './cobol/analyzer.js';
export { analyzeCobol } from './cobol/analyzer.js';
export type { CopybookResolver, PreprocessOptions, PreprocessResult } from './cobol/preprocessor.js';
export { preprocessCobol } from './cobol/preprocessor.js';
export type { CobolSource, CobolSourceFormat, ReadCobolOptions, SourceLine } from './cobol/source-reader.js';
export { readCobolSource } from './cobol/source-reader.js';
export { CODE_PACKAGE, CODE_PERMISSIONS, CODE_VERSION, codePlugin, default } from './code-plugin.js';
export { formatCobrixLayout } from './copybook/cobrix-layout.js';
export type {
  Condition,
  ConditionValue,
  Copybook,
  CopybookField,
  FieldDataType,
  OccursInfo,
  ParseCopybookOptions,
  Renames,
  SignInfo,
  Usage,
} from './copybook/model.js';
export { parseCopybook } from './copybook/parse-copybook.js';
export type { RecordLayout } from './copybook/program.js';
export { extractRecordLayouts } from './copybook/program.js';
export type { Encoding } from './decode/codepages.js';
export { decodeText } from './decode/codepages.js';
export type { DecodeOptions, RdwOptions } from './decode/decode-records.js';
export { decodeRecordStream, decodeRecords } from './decode/decode-records.js';
export { RecordDecodeError } from './decode/errors.js';
export type { DecodedRecord, DecodedValue } from './decode/record.js';
// The parsers, usable without a store.
export type { CodeErrorReason } from './errors.js';
export { CodeAnalysisError } from './errors.js';
export type {
  JclAnalysis,
  JclDataset,
  JclDd,
  JclExpandedStep,
  JclIssue,
  JclJob,
  JclParseOptions,
  JclProgram,
  JclStep,
} from './jcl/index.js';
export { parseJcl } from './jcl/index.js';
export { normaliseLine, reanchor } from './links/anchor.js';
export type { CodeOptions, CodeOptionsInput } from './options.js';
export { codeOptionsSchema } from './options.js';
export type { CodeDatabase, CodeLanguage, LinkStatus, RepositoryType } from './schema/code-database.js';
export { CODE_MIGRATIONS, codeSchemaMigration } from './schema/code-migrations.js';
export type {
  CodeAnalysis,
  CodeAnalysisInput,
  CodeCriteria,
  CodeLink,
  CodeRepository,
  CodeSearchHit,
  CodeSearchOptions,
  LinkOptions,
  LinkQuery,
  LinkSuggestion,
  LinkType,
  ScanFileError,
  ScanOptions,
  ScanProgress,
  ScanResult,
} from './types.js';
export { LINK_TYPES } from './types.js';
