import { describe, expect, it } from 'vitest';
import { StorageErrorCode } from './error-codes.js';
import { isStorageError, StorageError, ValidationError } from './storage-error.js';

describe('StorageError across copies of the package', () => {
  it('recognises an error thrown by another copy of the module', async () => {
    // A second instance of the same module, as a plugin loaded from the operator's project has beside the
    // bundled `kb` command: the query string makes Node load and evaluate the file again.
    const other = (await import(
      /* @vite-ignore */ `${new URL('./storage-error.ts', import.meta.url).href}?copy=2`
    )) as typeof import('./storage-error.js');
    expect(other.StorageError).not.toBe(StorageError);
    const foreign = new other.StorageError(StorageErrorCode.CONFLICT, 'from the other copy');
    expect(Object.getPrototypeOf(foreign)).not.toBe(StorageError.prototype);
    expect(foreign instanceof StorageError).toBe(true);
    expect(isStorageError(foreign, StorageErrorCode.CONFLICT)).toBe(true);
    expect(isStorageError(foreign, StorageErrorCode.VALIDATION)).toBe(false);
    // Subclasses keep the plain prototype check; the base class still knows a foreign subclass's error.
    const foreignValidation = new other.ValidationError('bad', []);
    expect(foreignValidation instanceof ValidationError).toBe(false);
    expect(foreignValidation instanceof StorageError).toBe(true);
    expect(new ValidationError('bad', []) instanceof ValidationError).toBe(true);
  });

  it('does not take other errors for its own', () => {
    expect(new Error('plain') instanceof StorageError).toBe(false);
    expect(
      Object.assign(new Error('look-alike'), { code: 'CONFLICT', name: 'StorageError' }) instanceof
        StorageError,
    ).toBe(false);
    expect((null as unknown as object) instanceof StorageError).toBe(false);
    expect(isStorageError('CONFLICT')).toBe(false);
  });
});
