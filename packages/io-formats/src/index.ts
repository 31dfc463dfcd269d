// Public API of @mainframe-kb/io-formats, exported by name.

// The domain importer and exporter contracts are storage-core's; re-exported for importers and exporters
// written against this package.
export type {
  DomainExporter,
  DomainExportInput,
  DomainImporter,
  DomainImportInput,
  DomainRecord,
  SourceRecord,
} from '@mainframe-kb/storage-core';
export { CodecRegistry, createDefaultRegistry } from './codec-registry.js';
export type {
  ByteSink,
  ByteSource,
  DataRecord,
  EntitySchema,
  FieldSpec,
  FieldType,
  FieldValue,
  FormatCodec,
  FormatName,
  InputLimits,
  ReadItem,
  ReadOptions,
  RecordLocation,
  WriteSummary,
} from './codec-types.js';
export type { AvroWriteOptions } from './columnar/avro/avro-codec.js';
export { avroCodec, createAvroCodec } from './columnar/avro/avro-codec.js';
export { ColumnarErrorReason } from './columnar/columnar-errors.js';
export { createOrcCodec, orcCodec } from './columnar/orc/orc-codec.js';
export type { OrcFileInfo } from './columnar/orc/orc-reader.js';
export { inspectOrc } from './columnar/orc/orc-reader.js';
export type { OrcWriteOptions } from './columnar/orc/orc-writer.js';
export { createParquetCodec, parquetCodec } from './columnar/parquet/parquet-codec.js';
export type { ParquetWriteOptions } from './columnar/parquet/parquet-writer.js';
export { csvCodec } from './csv/csv-codec.js';
export { neutralizeFormula, restoreFormula } from './csv/formula-guard.js';
export type { EnvelopeEvent } from './envelope/json-envelope-reader.js';
export { readJsonEnvelope } from './envelope/json-envelope-reader.js';
export { sniffEnvelope, writeJsonEnvelope } from './envelope/json-envelope-writer.js';
export { checkVersion } from './envelope/version-check.js';
export type {
  ExportHeader,
  ExportManifest,
  ExportMetadata,
  ExportTrailer,
  ManifestFile,
  TableSchema,
  TableValidationResult,
  TransformationStep,
  VersionedExport,
} from './envelope/versioned-export.js';
export {
  EXPORT_FORMAT_ID,
  EXPORT_VERSION,
  MANIFEST_FILE,
  READABLE_VERSIONS,
} from './envelope/versioned-export.js';
export { FormatErrorReason, formatError, reasonOf } from './errors/format-error.js';
export type {
  ExportFunction,
  ExportOptions,
  ExportProgress,
  ExportResult,
  FormatExportOptions,
  FormatExportResult,
  SeedExportOptions,
  TargetExportOptions,
  TargetExportResult,
} from './export/export-types.js';
export { checkValue, textToValue, valueToText } from './field-values.js';
export type {
  ConflictPolicy,
  ImportIssue,
  ImportOptions,
  ImportProgress,
  ImportResult,
  RecordCounts,
  TableCounts,
} from './import/import-types.js';
export { RECOGNISED_FORMS } from './import/input-recognition.js';
export { toBoolean, toNumber, toTimestamp } from './import/value-mapping.js';
export type { ImportLimits } from './input-limits.js';
export { DEFAULT_LIMITS, withLimits } from './input-limits.js';
export type { ExportIntegrity } from './integrity/integrity-types.js';
export type { MemorySink } from './io/byte-sink.js';
export { fileSink, memorySink } from './io/byte-sink.js';
export { bytesSource, fileSource } from './io/byte-source.js';
export { jsonCodec } from './json/json-codec.js';
export { ndjsonCodec } from './json/ndjson-codec.js';
export type { ImportFunction, IoFormatsApi, IoFormatsPluginOptions } from './plugin/io-formats-plugin.js';
export { default, exportStore, importStore, ioFormatsPlugin, plugin } from './plugin/io-formats-plugin.js';
export { IO_FORMATS_VERSION } from './version.js';
export { xmlCodec } from './xml/xml-codec.js';
