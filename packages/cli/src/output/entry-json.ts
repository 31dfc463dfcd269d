import type { KBEntry } from '@mainframe-kb/storage-core';

/** An entry as CLI.md prints it: these fields, in this order, nothing internal (version, archived). */
export interface EntryJson {
  id: string;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  usageCount: number;
  successCount: number;
  failureCount: number;
}

export function toEntryJson(entry: KBEntry): EntryJson {
  return {
    id: entry.id,
    title: entry.title,
    problem: entry.problem,
    solution: entry.solution,
    category: entry.category,
    severity: entry.severity,
    tags: [...entry.tags],
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    usageCount: entry.usageCount,
    successCount: entry.successCount,
    failureCount: entry.failureCount,
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

export function formatEntry(entry: KBEntry): string {
  const tags = entry.tags.length > 0 ? entry.tags.join(', ') : '(none)';
  return [
    entry.title,
    `id:        ${entry.id}`,
    `category:  ${entry.category}    severity: ${entry.severity}`,
    `tags:      ${tags}`,
    `used:      ${entry.usageCount} times, ${entry.successCount} worked, ${entry.failureCount} did not`,
    `updated:   ${entry.updatedAt} (created ${entry.createdAt})`,
    '',
    'Problem:',
    indent(entry.problem),
    '',
    'Solution:',
    indent(entry.solution),
  ].join('\n');
}
