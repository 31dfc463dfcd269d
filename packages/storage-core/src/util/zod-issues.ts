import type { z } from 'zod';
import type { ValidationIssue } from '../errors/storage-error.js';

export function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => {
    const base = issue.path.map(String).join('.');
    // zod reports unknown keys on the parent; name each key so the message points at it.
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      return { path: keys.map((k) => (base ? `${base}.${k}` : k)).join(', '), message: 'unknown key' };
    }
    return { path: base, message: issue.message };
  });
}
