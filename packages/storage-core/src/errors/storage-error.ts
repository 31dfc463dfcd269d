import { StorageErrorCode } from './error-codes.js';

export interface StorageErrorOptions {
  cause?: unknown;
  /** Machine-readable context: ids, paths, the offending value. */
  details?: Record<string, unknown>;
}

/** The one error base of the store: a stable `code`, a message that says what to do, and the cause. */
export class StorageError extends Error {
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
