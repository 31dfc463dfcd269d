import { keywordParam, keywordRecord, positionals, valueItems, valueText } from './operands.js';
import { type SourcedParam, setKeyword } from './params.js';
import type { JclDd, JclDisp, JclInstreamData } from './types.js';

/** A DD statement being analysed: its resolved parameters and the unnamed DDs concatenated to it. */
export interface DdEntry {
  readonly name?: string;
  readonly procStep?: string;
  readonly line: number;
  readonly member?: string;
  readonly operands: string;
  readonly params: readonly SourcedParam[];
  readonly instream?: JclInstreamData;
  readonly concatenation: DdEntry[];
  readonly overriddenAt?: number;
}

/** Keywords naming or placing a data set: dropped from a procedure DD overridden by SYSOUT or in-stream data. */
const DATA_SET_KEYWORDS = new Set(['DSN', 'DSNAME', 'DISP', 'UNIT', 'VOL', 'VOLUME', 'SPACE', 'LABEL']);

function positionalOf(params: readonly SourcedParam[]): string | undefined {
  return positionals(params)
    .find((p) => p.raw !== '')
    ?.raw.toUpperCase();
}

function dsnParam(params: readonly SourcedParam[]): SourcedParam | undefined {
  return keywordParam(params, 'DSN') ?? keywordParam(params, 'DSNAME');
}

function isInstream(positional: string | undefined): boolean {
  return positional === '*' || positional === 'DATA';
}

/**
 * Applies a job's override statement to a procedure DD: its positional replaces the procedure's,
 * each keyword replaces the procedure's one (an empty value nullifies it), and parameters that cannot
 * coexist with the override (a DSN under SYSOUT or in-stream data, DUMMY under a new DSN) are dropped.
 * Unnamed DDs following the override apply to the concatenated DDs in order; extra ones are appended.
 */
export function mergeDd(base: DdEntry, override: DdEntry): DdEntry {
  const overridePositional = positionalOf(override.params);
  const replacesDataSet =
    isInstream(overridePositional) || keywordParam(override.params, 'SYSOUT') !== undefined;
  const replacesPlace =
    dsnParam(override.params) !== undefined || keywordParam(override.params, 'SYSOUT') !== undefined;
  let params: SourcedParam[] = base.params.filter((p) => {
    if (p.keyword === undefined) return overridePositional === undefined && !replacesPlace;
    if (replacesDataSet && DATA_SET_KEYWORDS.has(p.keyword)) return false;
    return !(p.keyword === 'SYSOUT' && replacesPlace);
  });
  if (overridePositional !== undefined) params = [...positionals(override.params), ...params];
  for (const p of override.params) {
    if (p.keyword !== undefined) params = setKeyword(params, p.keyword, p);
  }
  const instream =
    override.instream ?? (overridePositional !== undefined || replacesPlace ? undefined : base.instream);
  const concatenation = base.concatenation.map((dd, i) => {
    const next = override.concatenation[i];
    return next ? mergeDd(dd, next) : dd;
  });
  concatenation.push(...override.concatenation.slice(base.concatenation.length));
  const { instream: _dropped, ...rest } = base;
  return {
    ...rest,
    params,
    concatenation,
    overriddenAt: override.line,
    ...(instream ? { instream } : {}),
  };
}

function parseDisp(param: SourcedParam | undefined): JclDisp | undefined {
  if (!param) return undefined;
  const [status, normal, abnormal] = valueItems(param.value).map((item) => item.toUpperCase());
  return {
    ...(status ? { status } : {}),
    ...(normal ? { normal } : {}),
    ...(abnormal ? { abnormal } : {}),
  };
}

/** The public view of a DD entry. */
export function describeDd(entry: DdEntry): JclDd {
  const positional = positionalOf(entry.params);
  const dsn = dsnParam(entry.params);
  const sysout = keywordParam(entry.params, 'SYSOUT');
  const symbols = keywordParam(entry.params, 'SYMBOLS');
  const dsnText = dsn ? valueText(dsn.value, dsn.raw) : undefined;
  const disp = parseDisp(keywordParam(entry.params, 'DISP'));
  return {
    ...(entry.name === undefined ? {} : { name: entry.name }),
    ...(entry.procStep === undefined ? {} : { procStep: entry.procStep }),
    line: entry.line,
    ...(entry.member === undefined ? {} : { member: entry.member }),
    operands: entry.operands,
    ...(dsn ? { dsn: dsnText, dsnRaw: dsn.source } : {}),
    ...(disp ? { disp } : {}),
    ...(sysout ? { sysout: valueItems(sysout.value)[0] ?? '' } : {}),
    dummy: positional === 'DUMMY' || dsnText?.toUpperCase() === 'NULLFILE',
    ...(entry.instream && isInstream(positional) ? { instream: entry.instream } : {}),
    ...(symbols ? { symbols: symbols.raw } : {}),
    params: keywordRecord(entry.params),
    concatenation: entry.concatenation.map(describeDd),
    ...(entry.overriddenAt === undefined ? {} : { overriddenAt: entry.overriddenAt }),
  };
}
