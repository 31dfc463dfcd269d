/** A lock on a destination, held while a process writes to it or deletes from it. */
export interface DestinationLock {
  release(): Promise<void>;
}

/**
 * Where a repository's objects live. Keys are relative, `/`-separated, made of `[a-z0-9._-]` segments.
 * A destination promises that `put` is atomic and verified: nothing is visible under its final key until its
 * bytes were written, synced and read back with the expected sha256. Local directories implement it here;
 * object stores or remote hosts can implement the same six methods (and `readRange`, to save restores a copy).
 */
export interface Destination {
  /** A short name for reports (`local:/backups/kb`). */
  readonly name: string;
  put(key: string, data: readonly Uint8Array[], sha256: string): Promise<void>;
  /** The object's bytes; a BackupError with reason OBJECT_MISSING when it does not exist. */
  get(key: string): Promise<Buffer>;
  /**
   * Optional: reads bytes of the object from `position` into `into` (as many as fit) and returns how many it
   * read, fewer at the object's end; OBJECT_MISSING like `get`. Restores read the blobs they need this way,
   * into reused memory, instead of whole packs.
   */
  readRange?(key: string, position: number, into: Uint8Array): Promise<number>;
  /** Keys under a prefix (a folder such as `manifests`), recursively, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Size in bytes, or undefined when missing. */
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /** Removes what interrupted writes left (temporary files of processes no longer running). */
  sweepTemporary(): Promise<string[]>;
  /** Takes the destination's write lock; fails with REPOSITORY_LOCKED when a live process holds it. */
  lock(owner: string): Promise<DestinationLock>;
  /**
   * Optional: whether the destination's place exists at all (an empty folder does: an empty repository).
   * Listing a destination that was named explicitly and does not exist is then NOT_FOUND rather than an
   * empty list. Without it, a destination is taken to exist.
   */
  exists?(): Promise<boolean>;
}

const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;

/** Refuses any key that is not plain relative segments (no `..`, no absolute path, no backslash). */
export function isSafeKey(key: string): boolean {
  if (key.length === 0 || key.length > 512) return false;
  return key.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..' && !s.includes('..'));
}
