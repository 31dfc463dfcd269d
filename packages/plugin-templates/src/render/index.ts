export {
  assertTemplate,
  checkTemplate,
  MAX_SECTION_DEPTH,
  MAX_TEMPLATE_LENGTH,
  TEMPLATE_TAGS,
  type TemplateCheck,
  type TemplateProblem,
  type TemplateProblemKind,
  templateError,
  templateVariables,
} from './check.js';
export {
  type CompiledTemplate,
  compileTemplate,
  type RenderTemplateOptions,
  type RenderValue,
  renderTemplate,
} from './render.js';
