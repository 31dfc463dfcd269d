import type { EntitySchema, FieldSpec, FormatName } from '../codec-types.js';
import type { ExportIntegrity } from '../integrity/integrity-types.js';

/** Marks a document as this package's export; the first key of every envelope and manifest. */
export const EXPORT_FORMAT_ID = 'mainframe-kb-export';

/**
 * The envelope layout this build writes. 1.0.0 is the seed application's layout (`data.kb_entries` as KB
 * entry objects); 2.0.0 holds every table of every enabled plugin, grouped by entity, with each table's
 * schema. Readers upgrade 1.x through the steps in envelope-upgrades.ts.
 */
export const EXPORT_VERSION = '2.0.0';
/** Versions this build reads: the current one natively, older ones through upgrade steps. */
export const READABLE_VERSIONS: readonly string[] = ['1.0.0', '2.0.0'];

export interface TransformationStep {
  readonly from: string;
  readonly to: string;
  readonly description: string;
  /** Records the step transformed. */
  readonly records: number;
}

export interface TableValidationResult {
  readonly entity: string;
  readonly table: string;
  readonly records: number;
  readonly ok: boolean;
  readonly message?: string;
}

export interface ExportMetadata {
  readonly exported_at: string;
  /** The highest MVP among the enabled plugins (`MVP1` for the knowledge base alone). */
  readonly mvp_version: string;
  /** Applied migrations, all namespaces together. */
  readonly schema_version: number;
  /** Layout of `data`: the envelope version that defines it. */
  readonly data_model_version: string;
  readonly export_tool_version: string;
  readonly core_version: string;
  readonly dialect: string;
  readonly extensions: readonly { readonly id: string; readonly version: string; readonly mvp: number }[];
  readonly migrations: readonly string[];
}

/** A table's description in an envelope or manifest. */
export interface TableSchema {
  readonly entity: string;
  readonly table: string;
  readonly primaryKey: readonly string[];
  readonly fields: readonly FieldSpec[];
}

/**
 * The head of an export, written before the data so a reader can check version and schemas before the first
 * record: the requirements' `VersionedExport` without its data.
 */
export interface ExportHeader {
  readonly format: typeof EXPORT_FORMAT_ID;
  readonly version: string;
  /** Versions of this package that can import the export. */
  readonly backward_compatibility: readonly string[];
  /** Envelope versions this export can be produced from (older exports upgrade to it). */
  readonly forward_compatibility: readonly string[];
  readonly metadata: ExportMetadata;
  readonly schemas: Readonly<Record<string, TableSchema>>;
}

/** The end of an export, written after the data. */
export interface ExportTrailer {
  readonly transformation_log: readonly TransformationStep[];
  readonly validation_results: readonly TableValidationResult[];
  /**
   * What a restore checks the export against (absent in exports of earlier releases). An envelope writes it
   * last, with `body_sha256` added by the writer; a manifest carries it with a sha256 per file.
   */
  readonly integrity?: ExportIntegrity;
}

/** The requirements' VersionedExport as a whole (for small exports read into memory). */
export interface VersionedExport extends ExportHeader, ExportTrailer {
  readonly data: Readonly<Record<string, Readonly<Record<string, readonly Record<string, unknown>[]>>>>;
}

export interface ManifestFile {
  readonly entity: string;
  readonly table: string;
  readonly file: string;
  readonly format: FormatName;
  readonly records: number;
  readonly bytes: number;
  /** sha256 (hex) of the file's bytes; absent in exports of earlier releases. */
  readonly sha256?: string;
}

/** `manifest.json` of a directory export: the header, one file per table, and the trailer. */
export interface ExportManifest extends ExportHeader, ExportTrailer {
  readonly files: readonly ManifestFile[];
}

export const MANIFEST_FILE = 'manifest.json';

export function toEntitySchema(table: TableSchema): EntitySchema {
  return { entity: table.entity, table: table.table, primaryKey: table.primaryKey, fields: table.fields };
}

export function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}
