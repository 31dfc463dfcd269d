// The templates both the API tests and the browser tests build: the seed-anchor KB's fixes (cobol-abends.json,
// vsam-errors.json) as plugin-templates' own tests turn them into templates.

/** IF NUMERIC and ON SIZE ERROR around a COMPUTE: the fix of the S0C7 entry. */
export const GUARD = [
  '      * Guard {{FIELD}} in {{PROGRAM}} against S0C7 (data exception)',
  '           IF {{FIELD}} IS NUMERIC',
  '              COMPUTE {{TARGET}} = {{FIELD}} * {{FACTOR}}',
  '                 ON SIZE ERROR',
  "                    DISPLAY '{{MESSAGE}}'",
  '              END-COMPUTE',
  '           ELSE',
  '              MOVE ZERO TO {{TARGET}}',
  '           END-IF',
  '',
].join('\n');

export const GUARD_PARAMS = [
  { name: 'PROGRAM', kind: 'program', description: 'the failing program' },
  { name: 'FIELD', kind: 'string', maxLength: 30, pattern: '[A-Z][A-Z0-9-]*' },
  { name: 'TARGET', kind: 'string', maxLength: 30, pattern: '[A-Z][A-Z0-9-]*' },
  { name: 'FACTOR', kind: 'integer', min: 1, max: 1000, default: 100 },
  { name: 'MESSAGE', kind: 'string', maxLength: 120, default: 'SIZE ERROR' },
];

/** An IDCAMS REPRO of a VSAM cluster to a backup: a first step for VSAM status 35 and its kin. */
export const REPRO = [
  '//{{JOB}} JOB (ACCT),CLASS=A,MSGCLASS=X',
  '//STEP1   EXEC PGM=IDCAMS',
  '//SYSPRINT DD SYSOUT=*',
  '//OUT     DD DSN={{OUT}},DISP=(NEW,CATLG,DELETE),UNIT=SYSDA,SPACE=(CYL,(50,10),RLSE)',
  '//SYSIN   DD *',
  '  REPRO INDATASET({{CLUSTER}}) OUTFILE(OUT)',
  '/*',
  '',
].join('\n');
