/** The model of an IDz / Eclipse z/OS project workspace folder (see ./index.ts for the formats). */

export type WorkspaceMemberType = 'cobol' | 'copybook' | 'jcl' | 'pli' | 'asm' | 'rexx' | 'other';

export const WORKSPACE_MEMBER_TYPES: readonly WorkspaceMemberType[] = [
  'cobol',
  'copybook',
  'jcl',
  'pli',
  'asm',
  'rexx',
  'other',
];

export interface WorkspaceLibrary {
  /** `syslib` for the default include search path, else the library name of `COPY X IN LIB`. */
  name: string;
  type: 'local' | 'mvs';
  /** Local folder paths / GLOB patterns (`local`) or data set names (`mvs`), searched in order. */
  locations: string[];
}

export interface WorkspacePropertyGroup {
  name: string;
  /** ZAPP language: cobol | pl1 | hlasm | rexx | jcl (kept as written). */
  language?: string;
  libraries: WorkspaceLibrary[];
  compilerOptions?: string;
  /** Any other keys of the ZAPP property group, kept so that an export writes them back. */
  raw?: Record<string, unknown>;
}

export interface WorkspaceMember {
  /** z/OS member name: the file name up to its first dot, upper-cased (valid: 1–8 of A–Z 0–9 @ # $, not starting with a digit). */
  name: string;
  type: WorkspaceMemberType;
  /** Relative to the workspace folder, '/'-separated. */
  path: string;
  /** The partitioned data set the member maps to, when the project's subproject definition says so. */
  dataset?: string;
  size: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface WorkspaceIssue {
  /** The file (relative path) the issue is about, e.g. `COBOL/pay-roll.cbl` or `zapp.yaml`. */
  path: string;
  message: string;
}

export interface WorkspaceModel {
  /** The Eclipse project name (`.project` → projectDescription/name). */
  name: string;
  /** `.project` → projectDescription/comment, when not empty. */
  description?: string;
  natures: string[];
  builders: string[];
  /** The MVS subproject's high-level qualifier, else the ZAPP `name`, else null. */
  idzProjectPath: string | null;
  propertyGroups: WorkspacePropertyGroup[];
  /** Sorted by path. */
  members: WorkspaceMember[];
  /**
   * Keys read and written back:
   * - `projects`: string[] — referenced projects (`.project` → projects/project);
   * - `buildArguments`: { [builder]: { [key]: value } } — non-empty buildCommand arguments;
   * - `zapp`: the ZAPP document's keys other than `propertyGroups` (name, version, profiles, …);
   * - `subproject`: { name, file } — the IDz subproject definition (`*.hbpsd`) read.
   * Other keys are the caller's: kept in the model, not written to the folder.
   */
  metadata: Record<string, unknown>;
  /**
   * What the reader noticed but did not refuse (invalid member names, ignored files, ambiguous data set
   * mappings). Always set by readWorkspace; ignored by writeWorkspace.
   */
  issues?: WorkspaceIssue[];
}

export interface ReadWorkspaceOptions {
  /** Most members accepted; more → ValidationError. Default 20,000. */
  maxMembers?: number;
  /** Largest file read or hashed (project files and members); larger → ValidationError. Default 16 MiB. */
  maxFileBytes?: number;
}

export interface WriteWorkspaceOptions {
  /** A member's bytes; when it returns undefined (or is absent) the member's file is not written. */
  contents?: (member: WorkspaceMember) => Promise<Buffer | undefined>;
  /** Write into a folder that is not empty (files already there are overwritten, others kept). Default false. */
  overwrite?: boolean;
}

export interface WriteWorkspaceResult {
  /** Relative paths of the files written, in order. */
  files: string[];
}
