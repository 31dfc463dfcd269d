/** This package's version, written into every export's metadata. Kept in step with package.json by a test. */
export const IO_FORMATS_VERSION = '0.0.0';
