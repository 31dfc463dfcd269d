/**
 * IDz subproject definition files (`*.hbpsd`, documented for host-based projects): an MVS subproject's
 * partitioned data sets (FOLDER-LIST/FOLDER/FOLDER-NAME = `HLQ.NAME.TYPE`) and members
 * (FILE-LIST/FILE, FILE-STATE/PHYSICAL-FILE/FILE-PHYSICAL-PATH = `HLQ.NAME.TYPE/name.ext`).
 * When one sits at the workspace folder's root, it says which data set each local member maps to, and its
 * first data set's high-level qualifier is the model's `idzProjectPath`.
 */
import { datasetNameProblem, upperAscii } from './members.js';
import type { WorkspaceIssue, WorkspaceMember } from './types.js';
import { childElement, childElements, escapeXmlText, invalidXmlCharacter, parseXml, textOf } from './xml.js';

export interface SubprojectDefinition {
  name: string;
  /** Data set names of the FOLDER entries, then those only FILE entries name; upper-cased, in file order. */
  folders: string[];
  /** Local file name (`name.ext`) → the data set the member lives in. */
  files: { fileName: string; dataset: string }[];
}

/** Reads a `.hbpsd` text. Throws XmlSyntaxError / Error for a malformed file; odd entries become issues. */
export function parseSubproject(text: string, file: string, issues: WorkspaceIssue[]): SubprojectDefinition {
  const root = parseXml(text);
  if (root.name !== 'SUBPROJECT-STRUCTURE') {
    throw new Error(`the root element is <${root.name}>; a subproject definition has <SUBPROJECT-STRUCTURE>`);
  }
  const sub = childElement(root, 'SUBPROJECT');
  if (!sub) throw new Error('<SUBPROJECT> is missing');
  const folders: string[] = [];
  for (const folder of childElements(childElement(sub, 'FOLDER-LIST') ?? root, 'FOLDER')) {
    const dsn = upperAscii(textOf(childElement(folder, 'FOLDER-NAME')));
    const problem = datasetNameProblem(dsn);
    if (problem) issues.push({ path: file, message: `FOLDER ignored: ${problem}` });
    else folders.push(dsn);
  }
  const files: SubprojectDefinition['files'] = [];
  for (const entry of childElements(childElement(sub, 'FILE-LIST') ?? root, 'FILE')) {
    const physical = childElement(childElement(entry, 'FILE-STATE') ?? entry, 'PHYSICAL-FILE');
    const physicalPath = textOf(childElement(physical ?? entry, 'FILE-PHYSICAL-PATH'));
    const slash = physicalPath.indexOf('/');
    if (slash < 0) continue; // a sequential data set: no member to map
    const dataset = upperAscii(physicalPath.slice(0, slash));
    const fileName = textOf(childElement(entry, 'FILE-NAME')) || physicalPath.slice(slash + 1);
    const problem = datasetNameProblem(dataset);
    if (problem) {
      issues.push({ path: file, message: `FILE '${fileName}' ignored: ${problem}` });
      continue;
    }
    if (fileName === '' || fileName.includes('/')) {
      issues.push({
        path: file,
        message: `FILE with physical path '${physicalPath}' ignored: no usable FILE-NAME`,
      });
      continue;
    }
    files.push({ fileName, dataset });
    if (!folders.includes(dataset)) folders.push(dataset);
  }
  return { name: textOf(childElement(sub, 'SUBPROJECT-NAME')), folders, files };
}

/** The high-level qualifier the definition names (first folder, else first file), or null. */
export function subprojectHlq(def: SubprojectDefinition): string | null {
  const first = def.folders[0] ?? def.files[0]?.dataset;
  return first ? (first.split('.')[0] ?? null) : null;
}

/**
 * Writes a `.hbpsd`: FOLDER entries for `folders` then for the other data sets `members` map to (sorted,
 * those under `hlq` first), FILE entries for the members that have a data set.
 */
export function formatSubproject(
  name: string,
  folders: string[],
  hlq: string | null,
  members: WorkspaceMember[],
): string {
  const t = (value: string) => {
    const bad = invalidXmlCharacter(value);
    if (bad) throw new Error(`subproject value holds a character XML cannot carry (${bad})`);
    return escapeXmlText(value);
  };
  const mapped = members.filter((m): m is WorkspaceMember & { dataset: string } => m.dataset !== undefined);
  const extra = [...new Set(mapped.map((m) => m.dataset))]
    .filter((d) => !folders.includes(d))
    .sort((a, b) => {
      const ah = a.split('.')[0] === hlq ? 0 : 1;
      const bh = b.split('.')[0] === hlq ? 0 : 1;
      return ah - bh || (a < b ? -1 : a > b ? 1 : 0);
    });
  const datasets = [...new Set(folders), ...extra];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<SUBPROJECT-STRUCTURE>',
    '  <WSED-VERSION>7.0.0.0</WSED-VERSION>',
    '  <SUBPROJECT>',
    `    <SUBPROJECT-NAME>${t(name)}</SUBPROJECT-NAME>`,
    '    <SUBPROJECT-NATURE-LIST>',
    '      <SUBPROJECT-NATURE>com.ibm.ftt.projects.zos.zosnature</SUBPROJECT-NATURE>',
    '    </SUBPROJECT-NATURE-LIST>',
    '    <SUBPROJECT-TYPE>zos-subproject</SUBPROJECT-TYPE>',
    '    <FOLDER-LIST>',
  ];
  for (const dsn of datasets) {
    lines.push(
      '      <FOLDER>',
      `        <FOLDER-NAME>${t(dsn)}</FOLDER-NAME>`,
      '        <FOLDER-TYPE>pds</FOLDER-TYPE>',
      '        <FOLDER-STATE>',
      '          <STATE-IS-OFFLINE>false</STATE-IS-OFFLINE>',
      '          <PHYSICAL-FOLDER>',
      `            <FOLDER-NAME>${t(dsn)}</FOLDER-NAME>`,
      `            <FOLDER-PHYSICAL-PATH>${t(dsn)}</FOLDER-PHYSICAL-PATH>`,
      '            <FOLDER-TYPE>pds</FOLDER-TYPE>',
      '          </PHYSICAL-FOLDER>',
      '        </FOLDER-STATE>',
      '      </FOLDER>',
    );
  }
  lines.push('    </FOLDER-LIST>', '    <FILE-LIST>');
  for (const m of mapped) {
    const fileName = m.path.slice(m.path.lastIndexOf('/') + 1);
    const dot = fileName.lastIndexOf('.');
    lines.push(
      '      <FILE>',
      `        <FILE-NAME>${t(fileName)}</FILE-NAME>`,
      `        <FILE-EXTENSION>${t(dot > 0 ? fileName.slice(dot + 1) : '')}</FILE-EXTENSION>`,
      `        <FILE-NAME-NO-EXTENSION>${t(dot > 0 ? fileName.slice(0, dot) : fileName)}</FILE-NAME-NO-EXTENSION>`,
      '        <FILE-TYPE>pds</FILE-TYPE>',
      '        <FILE-STATE>',
      '          <STATE-IS-OFFLINE>false</STATE-IS-OFFLINE>',
      '          <PHYSICAL-FILE>',
      `            <FILE-NAME>${t(m.name)}</FILE-NAME>`,
      `            <FILE-PHYSICAL-PATH>${t(`${m.dataset}/${fileName}`)}</FILE-PHYSICAL-PATH>`,
      '            <FILE-TYPE>pds-member</FILE-TYPE>',
      '          </PHYSICAL-FILE>',
      '        </FILE-STATE>',
      '      </FILE>',
    );
  }
  lines.push('    </FILE-LIST>', '  </SUBPROJECT>', '</SUBPROJECT-STRUCTURE>', '');
  return lines.join('\n');
}
