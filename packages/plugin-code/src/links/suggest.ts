import type { KBEntry, Storage } from '@mainframe-kb/storage-core';
import type { CodeStructure } from '../analysis/structure-types.js';
import type { CodeFileRow } from '../schema/code-database.js';
import type { LinkSuggestion, LinkType } from '../types.js';

/** One thing a file shares with the KB: what to search for, where it is in the file, and how telling it is. */
interface Clue {
  query: string;
  /** The text an entry must hold (case-insensitive) for the clue to count: search may match loosely. */
  mustContain: RegExp;
  line: number;
  weight: number;
  linkType: LinkType;
  evidence: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A code as a whole word: `-911` not inside `-9110`, `S0C7` not inside `S0C77`. */
const word = (s: string) => new RegExp(`(^|[^A-Z0-9-])${escapeRegExp(s)}($|[^A-Z0-9])`, 'i');

/** The clues of a file: error conditions it handles (strongest), then the names it defines. */
export function cluesOf(structure: CodeStructure, name: string | null): Clue[] {
  const clues: Clue[] = [];
  if (structure.language === 'cobol') {
    for (const c of structure.conditions) {
      if (c.value === null) continue;
      const at = `at line ${c.line}${c.paragraph ? ` (${c.paragraph})` : ''}`;
      if (c.kind === 'sqlcode' && /^-?\d+$/.test(c.value) && c.value !== '0' && c.value !== '100') {
        clues.push({
          query: `SQLCODE ${c.value}`,
          mustContain: word(c.value),
          line: c.line,
          weight: 0.6,
          linkType: 'handles',
          evidence: `SQLCODE ${c.value} ${at}`,
        });
      } else if (c.kind === 'file-status' && /^\d\d$/.test(c.value) && c.value !== '00' && c.value !== '10') {
        clues.push({
          query: `status ${c.value}`,
          mustContain: new RegExp(`status\\W{0,3}${c.value}\\b`, 'i'),
          line: c.line,
          weight: 0.5,
          linkType: 'handles',
          evidence: `file status ${c.value} ${at}`,
        });
      } else if ((c.kind === 'abend' || c.kind === 'message') && /^[A-Z0-9]{3,10}$/i.test(c.value)) {
        clues.push({
          query: c.value,
          mustContain: word(c.value),
          line: c.line,
          weight: 0.6,
          linkType: c.kind === 'abend' ? 'raises' : 'handles',
          evidence: `${c.kind} ${c.value} ${at}`,
        });
      }
    }
  }
  if (name && name.length >= 4) {
    const what =
      structure.language === 'copybook' ? 'copybook' : structure.language === 'jcl' ? 'job' : 'program';
    clues.push({
      query: name,
      mustContain: word(name),
      line: 1,
      weight: 0.5,
      linkType: 'related',
      evidence: `${what} ${name}`,
    });
  }
  if (structure.language === 'jcl') {
    for (const step of structure.steps) {
      if (step.program && step.program.length >= 4 && !/^IEF|^IEB|^IDCAMS$|^SORT$|^IKJ/.test(step.program)) {
        clues.push({
          query: step.program,
          mustContain: word(step.program),
          line: step.line,
          weight: 0.4,
          linkType: 'related',
          evidence: `step ${step.name} runs ${step.program}`,
        });
      }
    }
  }
  return clues;
}

const TEXT = (e: KBEntry) => `${e.title}\n${e.problem}\n${e.solution}\n${(e.tags ?? []).join(' ')}`;

/**
 * Suggested links between files and KB entries, from what they share: each clue is searched in the KB with
 * core's search and kept only when the entry really holds the code or name as a word. Several clues pointing
 * at one entry add up (1 − Π(1 − w)); the link's lines are those of the strongest clue.
 */
export async function suggestLinksFor(
  storage: Storage,
  files: readonly (CodeFileRow & { repository: string })[],
  limit: number,
): Promise<LinkSuggestion[]> {
  const cache = new Map<string, KBEntry[]>();
  const search = async (query: string) => {
    let hits = cache.get(query);
    if (!hits) {
      // Not an analyst's search: it stays out of the search history (and its statistics).
      hits = (await storage.searchEntries(query, { limit: 10, recordHistory: false })).map((r) => r.entry);
      cache.set(query, hits);
    }
    return hits;
  };
  const out: LinkSuggestion[] = [];
  for (const file of files) {
    const structure = JSON.parse(file.structure) as CodeStructure;
    const byEntry = new Map<string, { entry: KBEntry; miss: number; best: Clue; evidence: string[] }>();
    for (const clue of cluesOf(structure, file.name)) {
      for (const entry of await search(clue.query)) {
        if (!clue.mustContain.test(TEXT(entry))) continue;
        const found = byEntry.get(entry.id);
        if (!found)
          byEntry.set(entry.id, { entry, miss: 1 - clue.weight, best: clue, evidence: [clue.evidence] });
        else {
          found.miss *= 1 - clue.weight;
          if (clue.weight > found.best.weight) found.best = clue;
          if (!found.evidence.includes(clue.evidence)) found.evidence.push(clue.evidence);
        }
      }
    }
    for (const { entry, miss, best, evidence } of byEntry.values()) {
      out.push({
        kbEntryId: entry.id,
        title: entry.title,
        codeFileId: file.id,
        path: file.file_path,
        lineStart: best.line,
        lineEnd: best.line,
        linkType: best.linkType,
        confidence: Math.round((1 - miss) * 1000) / 1000,
        evidence,
      });
    }
  }
  out.sort(
    (a, b) =>
      b.confidence - a.confidence || a.path.localeCompare(b.path) || a.kbEntryId.localeCompare(b.kbEntryId),
  );
  return out.slice(0, limit);
}
