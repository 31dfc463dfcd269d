// Public surface of @mainframe-kb/plugin-templates. The package's default export is the plugin definition
// (`templatesPlugin`); every other public name is exported here explicitly.
import './flat-methods.js';

export type { TemplatesApi, TemplatesContext } from './api/templates-api.js';
export { bayesianSuccessRate } from './api/templates-api.js';
export type {
  CheckOutputOptions,
  CheckOutputResult,
  CobolRule,
  JclRule,
  OutputLanguage,
  OutputRule,
} from './format/index.js';
export {
  COBOL_RULES,
  checkCobol,
  checkJcl,
  checkOutput,
  JCL_RULES,
  wrapCobol,
  wrapJcl,
} from './format/index.js';
export type { LibraryEntry, LibraryManifest } from './library/library-manifest.js';
export { LIBRARY_FORMAT, LIBRARY_FORMAT_VERSION, libraryManifestSchema } from './library/library-manifest.js';
// Parameters, rendering and output checks, usable without a store.
export {
  checkDatasetName,
  checkShortName,
  highLevelQualifier,
  MAX_DATASET_NAME,
  MAX_SHORT_NAME,
  type ParameterDefinition,
  type ParameterDefinitionInput,
  type ParameterDefinitions,
  type ParameterKind,
  type ParameterRule,
  type ParameterRuleInput,
  type ParameterSet,
  type ParameterSetInput,
  type ParameterValue,
  type ParameterValues,
  parameterDefinitionSchema,
  parameterRuleSchema,
  parameterSetSchema,
  parseParameterSet,
  type ValidatedParameters,
  validateParameters,
} from './params/index.js';
export {
  assertTemplate,
  type CompiledTemplate,
  checkTemplate,
  compileTemplate,
  type RenderTemplateOptions,
  type RenderValue,
  renderTemplate,
  type TemplateCheck,
  type TemplateProblem,
  templateVariables,
} from './render/index.js';
export type {
  ProjectWorkspaceRow,
  TemplateLanguage,
  TemplateRow,
  TemplateStatus,
  TemplatesDatabase,
  TemplateVersionRow,
} from './schema/templates-database.js';
export { TEMPLATES_MIGRATIONS, templatesSchemaMigration } from './schema/templates-migrations.js';
export {
  default,
  TEMPLATES_PACKAGE,
  TEMPLATES_PERMISSIONS,
  TEMPLATES_VERSION,
  templatesPlugin,
} from './templates-plugin.js';
export type {
  AnalysisIssue,
  OutcomeInput,
  OutputProblem,
  RenderOptions,
  RenderProblem,
  RenderResult,
  Template,
  TemplateChange,
  TemplateCriteria,
  TemplateInput,
  TemplateVersion,
  Workspace,
  WorkspaceInput,
  WorkspaceMember,
} from './types.js';
export type { DiffLine } from './versions/line-diff.js';
export { diffLines, unifiedDiff } from './versions/line-diff.js';
export type {
  ReadWorkspaceOptions,
  WorkspaceIssue,
  WorkspaceLibrary,
  WorkspaceMemberType,
  WorkspaceModel,
  WorkspacePropertyGroup,
  WriteWorkspaceOptions,
  WriteWorkspaceResult,
} from './workspace/index.js';
export { readWorkspace, writeWorkspace, XmlSyntaxError, YamlSyntaxError } from './workspace/index.js';
