import type { CodeStructure, CodeSymbol } from './structure-types.js';

const MAX_NAME = 128;
const MAX_DETAIL = 255;

/**
 * The names a file defines or uses, from its stored structure alone: the scan indexes them, and a load
 * (restore, import, copy) rebuilds `code_symbols` from `code_files` with the same function. Names are upper
 * case (COBOL and JCL compare names so); each (kind, name, line) appears once.
 */
export function symbolsOf(structure: CodeStructure, fileName: string | null = null): CodeSymbol[] {
  const out: CodeSymbol[] = [];
  const seen = new Set<string>();
  const add = (kind: string, name: string | null | undefined, line: number, detail: string | null = null) => {
    if (!name) return;
    const symbol = {
      kind,
      name: name.toUpperCase().slice(0, MAX_NAME),
      line,
      detail: detail === null ? null : detail.slice(0, MAX_DETAIL),
    };
    const key = `${symbol.kind}\u0000${symbol.name}\u0000${symbol.line}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(symbol);
  };
  switch (structure.language) {
    case 'cobol':
      for (const p of structure.programs) add('program', p.name, p.start);
      for (const s of structure.sections) add('section', s.name, s.start, s.division);
      for (const p of structure.paragraphs) add('paragraph', p.name, p.start, p.section ?? null);
      for (const c of structure.calls) if (c.kind === 'static') add('call', c.target, c.line);
      for (const c of structure.copies) add('copy', c.name, c.line);
      for (const f of structure.files) add('file', f.name, f.line, f.assignTo.join(' ') || null);
      for (const d of structure.dataNames) add('data', d.name, d.line, d.section ?? null);
      for (const c of structure.conditions)
        if (c.value !== null) add(`handles-${c.kind}`, c.value, c.line, c.subject);
      break;
    case 'copybook':
      add('copybook', fileName, 1);
      for (const f of structure.fields) {
        if (!/^FILLER(_\d+)?$/i.test(f.name)) add('field', f.name, f.line, f.picture ?? f.type);
        for (const c of f.conditions ?? []) add('condition', c, f.line, f.name);
      }
      break;
    case 'jcl':
      add(structure.kind, structure.job ?? structure.proc ?? fileName, 1);
      for (const s of structure.steps) {
        add('step', s.name, s.line, s.program ?? s.proc ?? null);
        if (s.program) add('runs', s.program, s.line, s.name);
        if (s.proc) add('uses-proc', s.proc, s.line, s.name);
        for (const d of s.dds)
          if (d.dsn && !d.dsn.startsWith('&&')) add('dataset', d.dsn, d.line, `${s.name}.${d.name ?? ''}`);
      }
      break;
    case 'unknown':
      break;
  }
  return out;
}
