import { parseOperands } from './operands.js';
import { type SymbolLookup, type SymbolUsage, substituteSymbols } from './symbols.js';
import type { JclParam } from './types.js';

/** A parameter after symbol substitution, with its value as written before substitution. */
export interface SourcedParam extends JclParam {
  readonly source: string;
}

export interface ResolveContext {
  readonly symbols: SymbolLookup;
  readonly usage: SymbolUsage;
  readonly file: string | undefined;
}

/**
 * Parses an operand field and substitutes symbols parameter by parameter, so each resolved parameter
 * keeps the text it was written as (`DSN=&SYSUID..CBL` → raw `USER.CBL`, source `&SYSUID..CBL`).
 * A parameter whose substitution text is empty disappears, as a nullified symbolic does in JCL.
 */
export function resolveOperands(operands: string, line: number, context: ResolveContext): SourcedParam[] {
  const where = { file: context.file, line };
  return parseOperands(operands, where).flatMap((param): SourcedParam[] => {
    if (!param.raw.includes('&')) return [{ ...param, source: param.raw }];
    const written = param.keyword === undefined ? param.raw : `${param.keyword}=${param.raw}`;
    const substituted = substituteSymbols(written, context.symbols, context.usage);
    return parseOperands(substituted, where).map((resolved) => ({ ...resolved, source: param.raw }));
  });
}

/** Replaces (or, with an empty value, removes) the keyword parameter `keyword`, keeping its position. */
export function setKeyword(
  params: readonly SourcedParam[],
  keyword: string,
  param: SourcedParam,
): SourcedParam[] {
  const replacement = param.raw === '' ? [] : [{ ...param, keyword }];
  const index = params.findIndex((p) => p.keyword === keyword);
  if (index < 0) return [...params, ...replacement];
  return [
    ...params.slice(0, index),
    ...replacement,
    ...params.slice(index + 1).filter((p) => p.keyword !== keyword),
  ];
}
