import type { Command } from './command.js';

export const GLOBAL_USAGE = 'kb [--db <target>] [--config <file>] [--json] [--quiet] <command> ...';

const GLOBAL_OPTIONS = [
  '--db <target>     ./kb.db, sqlite:<path>, postgres://… or mysql://… (default: $KB_DATABASE_URL,',
  "                  then the config file's database, then ./kb.db); created and migrated on first use",
  '--config <file>   a JSON StorageConfig (default: ./kb.config.json when present)',
  '--json            print exactly one JSON document; errors as JSON on stderr',
  '--quiet           print only results: no progress bars, no commentary',
  '--help, -h        this help; kb help <command> for one command',
  '--version         the version of kb',
];

const ENVIRONMENT = [
  'KB_DATABASE_URL   the default --db',
  'KB_ACTOR          who the audit trail names for changes (default: cli:$USER)',
  'NO_COLOR          no bold text even on a terminal',
];

const EXIT_CODES =
  '0 done · 1 failed · 2 usage error · 3 rejected input · 4 not found · 5 verification failed';

export function generalHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `kb ${version} — the mainframe knowledge base store`,
    '',
    `usage: ${GLOBAL_USAGE}`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options (before or after the command):',
    ...GLOBAL_OPTIONS.map((line) => `  ${line}`),
    '',
    'Environment:',
    ...ENVIRONMENT.map((line) => `  ${line}`),
    '',
    `Exit codes: ${EXIT_CODES}`,
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `usage: ${command.usage}`,
    '',
    command.summary,
    ...(command.details && command.details.length > 0 ? ['', ...command.details.map((d) => `  ${d}`)] : []),
    '',
    'Global options: --db <target> --config <file> --json --quiet (kb help for details)',
  ].join('\n');
}
