import type { FormatName } from '../codec-types.js';

export interface ExportProgress {
  readonly phase: 'export';
  readonly table: string;
  /** Records written so far, all tables together. */
  readonly done: number;
  readonly total: number;
}

/** An export of the store's tables in a generic format (`format: 'json'`, `'csv'`, …). */
export interface FormatExportOptions {
  readonly format: FormatName;
  /** A file for `json` (the envelope); a directory (manifest + one file per table) for the other formats. */
  readonly out: string;
  /** Entities to include (`kb`, `incidents`, …); all when absent. */
  readonly entities?: readonly string[] | undefined;
  readonly onProgress?: ((progress: ExportProgress) => void) | undefined;
  /** Rows read per query. */
  readonly pageSize?: number | undefined;
  /** A format export names no target. */
  readonly target?: undefined;
}

/**
 * An export by a domain exporter that an enabled plugin contributes (`target: 'notes-markdown'`): the
 * exporter writes the file in a format of its domain, reading the plugin's data through its own context.
 */
export interface TargetExportOptions {
  /** The exporter's `target`, as the enabled plugins contribute it (`storage.exporters()`). */
  readonly target: string;
  /** The file to create; it must not exist yet. */
  readonly out: string;
  /** The exporter's own options, handed to it as they are, e.g. `{ entryId: 'PAYR010-S0C7' }`. */
  readonly targetOptions?: Readonly<Record<string, unknown>> | undefined;
  /** A target export names no format: the exporter has its own. */
  readonly format?: undefined;
}

/** `format` for the store's tables in a generic format, or `target` for a plugin's exporter; never both. */
export type ExportOptions = FormatExportOptions | TargetExportOptions;

export interface FormatExportResult {
  readonly file: string;
  readonly format: FormatName;
  readonly layout: 'envelope' | 'directory';
  /**
   * Records per entity: what the user exported (KB entries for `kb`, incidents, templates …), the rows of the
   * entity's first table. An entity's other rows (an entry's tags, a template's versions) are in `tables`.
   */
  readonly records: Record<string, number>;
  /** Rows per table. */
  readonly tables: Record<string, number>;
  readonly bytes: number;
  readonly target?: undefined;
}

export interface TargetExportResult {
  /** The file written. */
  readonly file: string;
  readonly target: string;
  /**
   * Records the exporter wrote, under the entity it reads (its contribution's one entity; its target when it
   * names none or several).
   */
  readonly records: Record<string, number>;
  readonly bytes: number;
  readonly format?: undefined;
}

/** The seed form's options: a format export's, `out` optional (see ExportFunction). */
export type SeedExportOptions = Omit<FormatExportOptions, 'format' | 'out' | 'target'> & {
  readonly out?: string | undefined;
};

/** A format export's result, or a target export's: `result.target !== undefined` tells them apart. */
export type ExportResult = FormatExportResult | TargetExportResult;

/**
 * `storage.export`, `storage.plugin(ioFormatsPlugin).export` and `exportStore`: typed by what is asked, a
 * format export's result for a `format`, a target export's for a `target`.
 */
export interface ExportFunction {
  /**
   * The seed interface's `export(format, options)`: with `options.out`, writes there and returns the path;
   * without, returns the export itself as text: JSON only, the one format that is one document; the others
   * write a file per table and need `out`.
   */
  (format: FormatName, options?: SeedExportOptions): Promise<string>;
  (options: FormatExportOptions): Promise<FormatExportResult>;
  (options: TargetExportOptions): Promise<TargetExportResult>;
  (options: ExportOptions): Promise<ExportResult>;
}
