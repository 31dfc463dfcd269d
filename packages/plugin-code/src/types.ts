import type { CodeIssue, CodeStructure } from './analysis/structure-types.js';
import type { CodeLanguage, LinkStatus, RepositoryType } from './schema/code-database.js';

export interface CodeRepository {
  id: string;
  name: string;
  path: string;
  type: RepositoryType;
  lastCommit: string | null;
  lastScan: string | null;
  createdAt: string;
  fileCount: number;
}

/** A stored file and what its analyser found: the seed interface's `CodeAnalysis`. */
export interface CodeAnalysis {
  id: string;
  repositoryId: string;
  repository: string;
  path: string;
  language: CodeLanguage;
  name: string | null;
  sizeBytes: number;
  lines: number;
  complexity: number | null;
  hash: string;
  parsedAt: string;
  structure: CodeStructure;
  issues: CodeIssue[];
  metadata: Record<string, unknown>;
}

/** What `storeCodeAnalysis` takes: a source to analyse and store (or replace) under a repository. */
export interface CodeAnalysisInput {
  /** The file's path inside its repository. */
  path: string;
  /** The source text. */
  content: string;
  /** Detected from the content when absent. */
  language?: CodeLanguage;
  /** The repository to file it under (created, of type `local`, when it does not exist); default `imported`. */
  repository?: string;
  metadata?: Record<string, unknown>;
  /** An external analysis to keep with the file (an IDz report, a reviewer's findings). */
  analysis?: { type: string; analyzer: string; summary?: string; result: Record<string, unknown> };
}

/** What `getCodeAnalysis` selects; every field narrows, none returns the first `limit` files by path. */
export interface CodeCriteria {
  id?: string;
  path?: string;
  repository?: string;
  language?: CodeLanguage;
  /** Program id, copybook, job or PROC name (case-insensitive). */
  name?: string;
  /** Files with at least one issue of severity error. */
  withErrors?: boolean;
  limit?: number;
  offset?: number;
}

export type LinkType = 'fixes' | 'handles' | 'raises' | 'example' | 'related';
export const LINK_TYPES: readonly LinkType[] = ['fixes', 'handles', 'raises', 'example', 'related'];

export interface LinkOptions {
  /** 1-based, inclusive; default: the whole file. */
  lineStart?: number;
  lineEnd?: number;
  confidence?: number;
  note?: string;
}

export interface CodeLink {
  id: string;
  kbEntryId: string;
  codeFileId: string | null;
  path: string;
  repository: string | null;
  lineStart: number;
  lineEnd: number;
  snippet: string;
  linkType: string;
  confidence: number | null;
  status: LinkStatus;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LinkQuery {
  kbEntryId?: string;
  codeFileId?: string;
  status?: LinkStatus;
  limit?: number;
}

/** A KB entry that shares something with a file: an error code it handles, a program or data set name. */
export interface LinkSuggestion {
  kbEntryId: string;
  title: string;
  codeFileId: string;
  path: string;
  lineStart: number;
  lineEnd: number;
  linkType: LinkType;
  confidence: number;
  /** What they share: `SQLCODE -911 at line 212`, `program PAYR010` … */
  evidence: string[];
}

export interface CodeSearchHit {
  codeFileId: string;
  repository: string;
  path: string;
  language: CodeLanguage;
  kind: string;
  name: string;
  line: number;
  detail: string | null;
}

export interface CodeSearchOptions {
  /** Symbol kinds to keep (`program`, `paragraph`, `field`, `dataset`, `step` …). */
  kinds?: string[];
  limit?: number;
}

export interface ScanProgress {
  phase: 'listing' | 'analysing' | 'removing' | 'done';
  total: number;
  done: number;
  path?: string;
}

export interface ScanOptions {
  /** A folder, or a git repository (read at `ref`). */
  path: string;
  /** The repository's name in the store (default: the folder's name). */
  name?: string;
  /** Read this commit of a git repository; the default for a git repository is HEAD. */
  ref?: string;
  /** `local` scans the files on disk even in a git work tree. Default: `git` for a repository's top folder. */
  type?: 'local' | 'git';
  /** Files written per transaction (default 200). */
  batchSize?: number;
  /** Files larger than this are not analysed (default 10 MiB); they are reported. */
  maxFileBytes?: number;
  onProgress?: (progress: ScanProgress) => void;
}

export interface ScanFileError {
  path: string;
  code: string;
  message: string;
  line: number | null;
}

export interface ScanResult {
  repositoryId: string;
  repository: string;
  type: 'local' | 'git';
  commit: string | null;
  /** Files in the tree (or, for an incremental git scan, named by the diff). */
  seen: number;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  /** Not source code (binary, unknown language) or too large. */
  skipped: number;
  /** Files stored with an analysis error (their issues say what). */
  failed: number;
  errors: ScanFileError[];
  links: { reanchored: number; stale: number };
  durationMs: number;
}
