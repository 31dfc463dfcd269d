import type { Severity } from '../kb/kb-types.js';
import type { ParsedQuery } from './query-types.js';

/** The filters of a query and its options, ready to test rows with. */
export interface ResolvedFilters {
  /** Lower-cased; an entry's category must equal each (so two different ones match nothing). */
  categories: string[];
  severities: Severity[];
  tags: string[];
  includeArchived: boolean;
  /** The filters contradict each other (two categories, two severities): nothing can match. */
  impossible: boolean;
}

export function resolveFilters(query: ParsedQuery, includeArchived: boolean): ResolvedFilters {
  const categories = [...new Set(query.filters.categories.map((c) => c.toLowerCase()))];
  const severities = [...new Set(query.filters.severities)];
  return {
    categories,
    severities,
    tags: [...new Set(query.filters.tags)],
    includeArchived,
    impossible: categories.length > 1 || severities.length > 1,
  };
}

export function hasFilters(f: ResolvedFilters): boolean {
  return f.categories.length + f.severities.length + f.tags.length > 0;
}

export interface FilterableRow {
  category: string;
  severity: string;
  tags: readonly string[];
  archived: boolean;
}

export function passesFilters(row: FilterableRow, f: ResolvedFilters): boolean {
  if (f.impossible) return false;
  if (row.archived && !f.includeArchived) return false;
  if (f.categories.length > 0 && row.category.toLowerCase() !== f.categories[0]) return false;
  if (f.severities.length > 0 && row.severity !== f.severities[0]) return false;
  for (const tag of f.tags) if (!row.tags.includes(tag)) return false;
  return true;
}
