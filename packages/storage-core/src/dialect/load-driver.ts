import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';

/**
 * Loads an optional peer dependency (a database driver) on first use, so a SQLite user installs neither
 * `pg` nor `mysql2`. A missing one is a DRIVER_MISSING error naming the package to install.
 */
export async function loadDriver<T>(pkg: string, dialect: string): Promise<T> {
  try {
    const module = (await import(pkg)) as { default?: T } & T;
    return (module.default ?? module) as T;
  } catch (error) {
    const name = pkg.split('/')[0]!;
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new StorageError(
        StorageErrorCode.DRIVER_MISSING,
        `database.type '${dialect}' needs the '${name}' package: install it next to @mainframe-kb/storage-core (npm install ${name})`,
        { cause: error, details: { package: name } },
      );
    }
    throw error;
  }
}
