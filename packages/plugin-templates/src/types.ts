import type { OutputProblem } from './format/types.js';
import type { TemplateLanguage, TemplateStatus } from './schema/templates-database.js';
import type { WorkspaceMember } from './workspace/types.js';

export interface TemplateInput {
  /** Unique; what `kb templates render <name>` names it by. */
  name: string;
  description: string;
  language: TemplateLanguage;
  category: string;
  /** Mustache text: `{{PARAM}}` inserts a parameter's value verbatim; sections over parameters only. */
  content: string;
  /** Parameter definitions (see the package README); validated when stored. */
  parameters?: unknown[];
  /** Cross-parameter validation rules, stored as data. */
  rules?: unknown[];
  errorCodes?: string[];
  tags?: string[];
  /** KB entries this template implements the fix of. */
  kbEntryIds?: string[];
  changeNote?: string;
}

/** A change: any field given makes a new version (content, parameters, rules) or updates the template. */
export type TemplateChange = Partial<Omit<TemplateInput, 'name' | 'kbEntryIds'>> & { changeNote?: string };

export interface Template {
  id: string;
  name: string;
  description: string;
  language: TemplateLanguage;
  category: string;
  status: TemplateStatus;
  currentVersion: number;
  errorCodes: string[];
  tags: string[];
  usageCount: number;
  successCount: number;
  failureCount: number;
  successRate: number;
  kbEntryIds: string[];
  patternIds: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateVersion {
  templateId: string;
  version: number;
  content: string;
  parameters: unknown[];
  rules: unknown[];
  contentHash: string;
  author: string;
  changeNote: string;
  createdAt: string;
}

/** What `getTemplates` selects; results are ranked by success rate, then usage. */
export interface TemplateCriteria {
  /** Words in the name, description or content (case-insensitive). */
  text?: string;
  language?: TemplateLanguage;
  category?: string;
  kbEntryId?: string;
  errorCode?: string;
  status?: TemplateStatus | 'all';
  limit?: number;
}

export interface RenderOptions {
  /** Default: the template's current version. */
  version?: number;
  /** Wrap lines where the language allows it instead of reporting them (default true). */
  wrap?: boolean;
}

export type { OutputProblem } from './format/types.js';

export interface RenderResult {
  templateId: string;
  version: number;
  text: string;
  /** Lines the language check wrapped (1-based, in the output). */
  wrapped: number[];
  /** Lines that break the language's rules and could not be wrapped, and analyser errors; empty when valid. */
  problems: RenderProblem[];
  /** What plugin-code's analyser found in the output, when the store has plugin-code enabled. */
  analysis?: AnalysisIssue[];
}

/** A problem of rendered output: a column rule of its language, or an error of plugin-code's analyser. */
export type RenderProblem = Omit<OutputProblem, 'rule'> & { rule: OutputProblem['rule'] | `code/${string}` };

/** An issue plugin-code's analyser reports (its errors are also among the render's problems). */
export interface AnalysisIssue {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  line: number | null;
}

export interface OutcomeInput {
  worked: boolean;
  /** Default: the template's current version. */
  version?: number;
  note?: string;
}

export type { WorkspaceMember } from './workspace/types.js';

export interface WorkspaceInput {
  name: string;
  /** The IDz project's MVS location (a high-level qualifier, a subproject), when it has one. */
  idzProjectPath: string | null;
  /** The local workspace folder it was read from. */
  localPath: string | null;
  members: WorkspaceMember[];
  metadata: Record<string, unknown>;
}

export interface Workspace extends WorkspaceInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}
