/**
 * Finds mainframe error codes in free text and returns them in one canonical spelling, so "abend S0C7",
 * "ABEND=S0C7" and "SYSTEM COMPLETION CODE=0C7" all count as `S0C7`.
 *
 * Families recognised:
 * - system abends `Sxxx` (hex, at least one digit: S0C7, S0C4, SB37, S806, S013) and `SYSTEM=0C7`;
 * - user abends `U4038` and `USER=4038`;
 * - IBM message ids: a known component prefix (IEF, IEC, IGZ, DFH…, WER, EDC, ICH, CEE, DSN…) with 3–5
 *   digits and an optional severity letter (IEF212I, IGZ0035S, DFHAC2206, ICH408I, WER027A, EDC5129I),
 *   or any 3-letter prefix with digits and a severity letter;
 * - `SQLCODE -911` (also `SQLCODE=-911`, `SQL code -911`);
 * - `VSAM status 35` and COBOL `file status 35`.
 */

const MESSAGE_PREFIXES = [
  'IEA',
  'IEC',
  'IEE',
  'IEF',
  'IEW',
  'IGD',
  'IGG',
  'IGZ',
  'IGY',
  'IKJ',
  'ICH',
  'IRR',
  'IDC',
  'IOS',
  'IST',
  'IXC',
  'IXG',
  'IWM',
  'IRX',
  'IEB',
  'IEH',
  'IKT',
  'ISRZ',
  'ISR',
  'IAT',
  'ADR',
  'ARC',
  'BPX',
  'CEE',
  'CSQ',
  'AMQ',
  'DFHAC',
  'DFHSM',
  'DFHFC',
  'DFHTS',
  'DFHPC',
  'DFHSR',
  'DFHDB',
  'DFHME',
  'DFH',
  'DSNT',
  'DSNX',
  'DSNU',
  'DSNB',
  'DSN',
  'DFS',
  'EDC',
  'EQA',
  'WER',
  'ICE',
  'HASP',
  'NAT',
  'CSV',
  'EZA',
  'EZZ',
];

const KNOWN_MESSAGE = new RegExp(
  `\\$?\\b(${MESSAGE_PREFIXES.sort((a, b) => b.length - a.length).join('|')})(\\d{3,5})([A-Z])?\\b`,
  'g',
);
const GENERIC_MESSAGE = /\b([A-Z]{3})(\d{3,5})([IEWSAD])\b/g;
const SYSTEM_ABEND = /\bS(?=[0-9A-F]{0,2}\d)([0-9A-F]{3})\b/g;
const USER_ABEND = /\bU(\d{4})\b/g;
const SYSTEM_COMPLETION = /\b(?:SYSTEM|ABEND(?:\s+CODE)?)\s*[=:]?\s*(?:S)?([0-9A-F]{3})\b/gi;
const USER_COMPLETION = /\bUSER\s*[=:]\s*(\d{1,4})\b/gi;
const SQLCODE = /\bSQL\s*CODE\s*[=:]?\s*(?:IS\s+)?([+-]?\d{1,5})\b/gi;
const FILE_STATUS = /\b(VSAM\s+(?:FILE\s+)?|FILE\s+)STATUS(?:\s+CODE)?\s*[=:]?\s*(\d{2})\b/gi;

export function extractErrorCodes(text: string): string[] {
  if (text.length === 0) return [];
  const found = new Set<string>();
  const upper = text.toUpperCase();
  for (const m of upper.matchAll(KNOWN_MESSAGE)) found.add(`${m[1]}${m[2]}${m[3] ?? ''}`);
  for (const m of upper.matchAll(GENERIC_MESSAGE)) {
    // "JOB12345" or "ABC123D" are ids of things, not messages, unless the prefix is a known family.
    if (!['JOB', 'STC', 'TSU'].includes(m[1]!)) found.add(`${m[1]}${m[2]}${m[3]}`);
  }
  // Abends are matched on the original text: lower-case "s0c7" in prose is common, "sb37" too.
  for (const m of upper.matchAll(SYSTEM_ABEND)) found.add(`S${m[1]}`);
  for (const m of upper.matchAll(USER_ABEND)) found.add(`U${m[1]}`);
  // "ABEND=S013 U0000": a zero completion code says there was no user abend.
  for (const m of upper.matchAll(SYSTEM_COMPLETION)) {
    const code = m[1]!;
    if (/\d/.test(code)) found.add(`S${code}`);
  }
  for (const m of upper.matchAll(USER_COMPLETION)) found.add(`U${m[1]!.padStart(4, '0')}`);
  for (const m of text.matchAll(SQLCODE)) {
    const n = Number(m[1]);
    if (Number.isInteger(n) && n !== 0) found.add(`SQLCODE ${n > 0 ? `+${n}` : n}`);
  }
  for (const m of text.matchAll(FILE_STATUS)) {
    const vsam = /^VSAM/i.test(m[1]!);
    if (m[2] !== '00') found.add(`${vsam ? 'VSAM status' : 'file status'} ${m[2]}`);
  }
  found.delete('U0000');
  found.delete('S000');
  return [...found].sort();
}

/** The KB category (one of core's KNOWN_CATEGORIES) an error code belongs to. */
export function categoryOfCode(code: string): string {
  if (code.startsWith('SQLCODE') || code.startsWith('DSN')) return 'DB2';
  if (code.startsWith('VSAM') || code.startsWith('file status')) return 'VSAM';
  if (/^S[0-9A-F]{3}$/.test(code) || /^U\d{4}$/.test(code)) return 'Batch';
  if (/^(IEF|IEC|IEA|IKJ|HASP|IEW|IGD)/.test(code)) return 'JCL';
  if (/^(IGZ|IGY|CEE|EDC)/.test(code)) return 'COBOL';
  if (code.startsWith('DFH')) return 'CICS';
  if (code.startsWith('DFS')) return 'IMS';
  if (/^(ICH|IRR)/.test(code)) return 'RACF';
  if (/^(WER|ICE|IEB|IDC|ADR|ARC)/.test(code)) return 'Utilities';
  if (/^(AMQ|CSQ)/.test(code)) return 'MQ';
  return 'System';
}
