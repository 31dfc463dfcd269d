import { createHash } from 'node:crypto';

/** An id derived from content: the same key always gives the same id, on every machine. */
export function stableId(prefix: string, ...parts: readonly string[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${prefix}_${hash.slice(0, 24)}`;
}

/** The id of an incident: a source's ticket is one incident, however often it is imported. */
export function incidentIdOf(source: string, ticketId: string): string {
  return stableId('inc', source, ticketId);
}
