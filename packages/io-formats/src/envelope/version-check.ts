import { FormatErrorReason, formatError } from '../errors/format-error.js';
import { EXPORT_FORMAT_ID, EXPORT_VERSION, parseVersion, READABLE_VERSIONS } from './versioned-export.js';

export interface VersionDecision {
  /** The layout to read the data as. */
  readonly readAs: string;
  /** Upgrade steps to apply (from → to), empty when the export is current. */
  readonly upgrades: readonly string[];
}

/**
 * Decides whether and how an export of `version` is read. Older known versions are upgraded; a newer one
 * is read only when it declares, in `backward_compatibility`, a version this build reads natively; anything
 * else is refused before a record is read.
 */
export function checkVersion(
  format: unknown,
  version: unknown,
  backwardCompatibility: unknown,
): VersionDecision {
  // The seed's 1.0.0 layout predates the format id.
  if (format !== EXPORT_FORMAT_ID && !(format === undefined && version === '1.0.0')) {
    throw formatError(
      'envelope',
      FormatErrorReason.BAD_ENVELOPE,
      `the document is not a ${EXPORT_FORMAT_ID} (its "format" is ${JSON.stringify(format)})`,
    );
  }
  if (typeof version !== 'string' || parseVersion(version) === undefined) {
    throw formatError(
      'envelope',
      FormatErrorReason.BAD_ENVELOPE,
      `the export's version ${JSON.stringify(version)} is not a x.y.z version`,
    );
  }
  if (version === EXPORT_VERSION) return { readAs: EXPORT_VERSION, upgrades: [] };
  if (READABLE_VERSIONS.includes(version))
    return { readAs: version, upgrades: [`${version}→${EXPORT_VERSION}`] };
  const [major] = parseVersion(version) as [number, number, number];
  const [ourMajor] = parseVersion(EXPORT_VERSION) as [number, number, number];
  const compatible = Array.isArray(backwardCompatibility) && backwardCompatibility.includes(EXPORT_VERSION);
  if (major > ourMajor && compatible) return { readAs: EXPORT_VERSION, upgrades: [] };
  if (major === ourMajor && compatible) return { readAs: EXPORT_VERSION, upgrades: [] };
  throw formatError(
    'envelope',
    FormatErrorReason.VERSION_UNSUPPORTED,
    `the export has version ${version}, which this build (reading ${READABLE_VERSIONS.join(', ')}) cannot import and which does not declare compatibility with ${EXPORT_VERSION}; upgrade @mainframe-kb/io-formats`,
    { details: { version, readable: READABLE_VERSIONS } },
  );
}
