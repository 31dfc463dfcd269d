interface AdfNode {
  type?: string;
  text?: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
}

const BLOCKS = new Set([
  'paragraph',
  'heading',
  'codeBlock',
  'blockquote',
  'panel',
  'rule',
  'mediaSingle',
  'mediaGroup',
  'table',
  'tableRow',
  'expand',
  'nestedExpand',
  'decisionList',
  'taskList',
]);

function render(node: AdfNode, out: string[], listPrefix: string): void {
  switch (node.type) {
    case 'text':
      out.push(node.text ?? '');
      return;
    case 'hardBreak':
      out.push('\n');
      return;
    case 'mention':
    case 'emoji':
    case 'status':
      out.push(String(node.attrs?.text ?? node.attrs?.shortName ?? ''));
      return;
    case 'inlineCard':
    case 'blockCard':
      out.push(String(node.attrs?.url ?? ''));
      return;
    case 'tableCell':
    case 'tableHeader':
      for (const child of node.content ?? []) render(child, out, listPrefix);
      out.push('\t');
      return;
    case 'bulletList':
    case 'orderedList': {
      let n = Number(node.attrs?.order ?? 1);
      for (const item of node.content ?? []) {
        out.push(node.type === 'bulletList' ? `${listPrefix}- ` : `${listPrefix}${n++}. `);
        for (const child of item.content ?? []) render(child, out, `${listPrefix}  `);
        if (!out[out.length - 1]?.endsWith('\n')) out.push('\n');
      }
      return;
    }
    default:
      for (const child of node.content ?? []) render(child, out, listPrefix);
      if (node.type && BLOCKS.has(node.type) && !out[out.length - 1]?.endsWith('\n')) out.push('\n');
  }
}

/** Plain text of an Atlassian Document Format document (Jira REST v3 descriptions and comments). */
export function adfToText(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  if (doc === null || typeof doc !== 'object') return '';
  const out: string[] = [];
  render(doc as AdfNode, out, '');
  return out
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
