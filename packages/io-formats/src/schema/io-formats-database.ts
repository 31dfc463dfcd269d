/**
 * The rows of this plugin's own table, as kysely sees them: the progress of each checkpointed import, written
 * in the transaction of the batch it records.
 */
export interface ImportCheckpointRow {
  /** sha256 of the input's content and of how it is read (domain source and its options). */
  readonly input_key: string;
  /** The input as it was named when the checkpoint was written, for people reading the table. */
  readonly input: string;
  /** Input records (1 … committed) whose rows are committed. */
  readonly committed: number;
  readonly updated_at: string;
}

export interface IoFormatsDatabase {
  io_import_checkpoints: ImportCheckpointRow;
}
