import { StorageErrorCode } from './error-codes.js';

export interface StorageErrorOptions {
  cause?: unknown;
  /** Machine-readable context: ids, paths, the offending value. */
  details?: Record<string, unknown>;
}

/**
 * Marks errors of this class from any copy of this package: a program may hold two (the `kb` command is one
 * bundled file, and a plugin it loads from the operator's project imports the package from there), and an
 * error thrown by one must still be recognised by the other.
 */
const STORAGE_ERROR = Symbol.for('@mainframe-kb/storage-core:StorageError');

/** The one error base of the store: a stable `code`, a message that says what to do, and the cause. */
export class StorageError extends Error {
  /**
   * `instanceof StorageError` across copies of this package: the prototype chain as usual, else the mark every
   * StorageError carries. Subclasses (`instanceof ValidationError`) keep the plain prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class asked about: a subclass inherits this method.
    // biome-ignore lint/complexity/noThisInStatic: the class on the right of instanceof, not always this one
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return (
      // biome-ignore lint/complexity/noThisInStatic: only StorageError itself is recognised by the mark
      this === StorageError &&
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[STORAGE_ERROR] === true
    );
  }

  declare readonly [STORAGE_ERROR]: true;
  override readonly name: string = 'StorageError';
  readonly code: StorageErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: StorageErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `database.pool.max` or `tags.2`. Empty for the whole value. */
  path: string;
  message: string;
}

export class ValidationError extends StorageError {
  override readonly name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], options: StorageErrorOptions = {}) {
    super(StorageErrorCode.VALIDATION, message, { ...options, details: { ...options.details, issues } });
    this.issues = issues;
  }
}

export class ConfigError extends StorageError {
  override readonly name = 'ConfigError';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[]) {
    super(StorageErrorCode.CONFIG_INVALID, message, { details: { issues } });
    this.issues = issues;
  }
}

export class NotFoundError extends StorageError {
  override readonly name = 'NotFoundError';

  constructor(entity: string, id: string) {
    super(StorageErrorCode.NOT_FOUND, `${entity} '${id}' does not exist`, { details: { entity, id } });
  }
}

/** Thrown by a flat `IStorageService` method whose plugin is not enabled in this store. */
export class PluginNotEnabledError extends StorageError {
  override readonly name = 'PluginNotEnabledError';

  constructor(method: string, pluginId: string, packageName: string) {
    super(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `${method}() needs the '${pluginId}' plugin: install ${packageName} and add { id: '${pluginId}' } to config.mvp.extensions`,
      { details: { method, plugin: pluginId, package: packageName } },
    );
  }
}

export function isStorageError(value: unknown, code?: StorageErrorCode): value is StorageError {
  return value instanceof StorageError && (code === undefined || value.code === code);
}

Object.defineProperty(StorageError.prototype, STORAGE_ERROR, { value: true });
