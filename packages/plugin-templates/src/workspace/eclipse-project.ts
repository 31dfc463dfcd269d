/**
 * The Eclipse `.project` file (projectDescription): name, comment, projects, buildSpec/buildCommand
 * (name, arguments/dictionary key+value), natures/nature. Linked and filtered resources are not read
 * (a linked resource points outside the folder): they are reported as an issue.
 */
import type { WorkspaceIssue } from './types.js';
import {
  childElement,
  childElements,
  escapeXmlText,
  invalidXmlCharacter,
  parseXml,
  textOf,
  type XmlElement,
} from './xml.js';

export interface EclipseProject {
  name: string;
  comment: string;
  projects: string[];
  builders: { name: string; arguments: Record<string, string> }[];
  natures: string[];
}

/** Reads `.project` text. Throws XmlSyntaxError for malformed XML, Error(message) for a wrong structure. */
export function parseEclipseProject(text: string, issues: WorkspaceIssue[]): EclipseProject {
  const root = parseXml(text);
  if (root.name !== 'projectDescription') {
    throw new Error(`the root element is <${root.name}>; an Eclipse .project has <projectDescription>`);
  }
  const name = textOf(childElement(root, 'name'));
  if (name === '') throw new Error('projectDescription has no <name>: the project name is required');
  const projects = childElements(childElement(root, 'projects') ?? emptyElement(), 'project')
    .map((e) => textOf(e))
    .filter((p) => p !== '');
  const builders = childElements(childElement(root, 'buildSpec') ?? emptyElement(), 'buildCommand').flatMap(
    (cmd) => {
      const builder = textOf(childElement(cmd, 'name'));
      if (builder === '') return [];
      const args: Record<string, string> = {};
      for (const dict of childElements(childElement(cmd, 'arguments') ?? emptyElement(), 'dictionary')) {
        const key = textOf(childElement(dict, 'key'));
        if (key !== '' && key !== '__proto__') args[key] = textOf(childElement(dict, 'value'));
      }
      return [{ name: builder, arguments: args }];
    },
  );
  const natures = childElements(childElement(root, 'natures') ?? emptyElement(), 'nature')
    .map((e) => textOf(e))
    .filter((n) => n !== '');
  for (const unsupported of ['linkedResources', 'filteredResources', 'variableList']) {
    if (childElement(root, unsupported)) {
      issues.push({ path: '.project', message: `<${unsupported}> is not supported and was ignored` });
    }
  }
  return { name, comment: textOf(childElement(root, 'comment')), projects, builders, natures };
}

function emptyElement(): XmlElement {
  return { name: '', attributes: {}, children: [], line: 0 };
}

/** Writes a `.project` (tab-indented, as Eclipse does). Throws Error naming a value XML cannot carry. */
export function formatEclipseProject(project: EclipseProject): string {
  const t = (label: string, value: string) => {
    const bad = invalidXmlCharacter(value);
    if (bad) throw new Error(`${label} holds a character XML cannot carry (${bad})`);
    return escapeXmlText(value);
  };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<projectDescription>',
    `\t<name>${t('name', project.name)}</name>`,
    `\t<comment>${t('description', project.comment)}</comment>`,
    '\t<projects>',
    ...project.projects.map((p) => `\t\t<project>${t('project', p)}</project>`),
    '\t</projects>',
    '\t<buildSpec>',
  ];
  for (const b of project.builders) {
    lines.push('\t\t<buildCommand>', `\t\t\t<name>${t('builder', b.name)}</name>`, '\t\t\t<arguments>');
    for (const [key, value] of Object.entries(b.arguments)) {
      lines.push(
        '\t\t\t\t<dictionary>',
        `\t\t\t\t\t<key>${t('builder argument', key)}</key>`,
        `\t\t\t\t\t<value>${t('builder argument', value)}</value>`,
        '\t\t\t\t</dictionary>',
      );
    }
    lines.push('\t\t\t</arguments>', '\t\t</buildCommand>');
  }
  lines.push('\t</buildSpec>', '\t<natures>');
  lines.push(...project.natures.map((n) => `\t\t<nature>${t('nature', n)}</nature>`));
  lines.push('\t</natures>', '</projectDescription>', '');
  return lines.join('\n');
}
