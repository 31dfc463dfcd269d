import type { CatalogEntry, CommandCatalog } from './plugin/command-catalog.js';
import { describePlugin } from './plugin/plugin-command-adapter.js';

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
  'KB_ACTOR          who runs kb (default: the operating-system user): the audit trail names it, and',
  '                  cli.roles of the config file maps it to a role (docs/cli-roles.md)',
  'KB_AUDIT_KEY      audit keys (base64, comma-separated, the last one signs) for a store without',
  '                  audit.keyFile; a SQLite store keeps its own beside the database (docs/audit.md)',
  'NO_COLOR          no bold text even on a terminal',
];

const EXIT_CODES = [
  "0 done · 1 failed · 2 usage error · 3 rejected (invalid input, or refused by the actor's role) ·",
  '4 not found · 5 verification failed',
];

/** `kb help`: kb's own commands, then those the enabled plugins bring, each with its plugin. */
export function generalHelp(catalog: CommandCatalog, version: string): string {
  const own = catalog.own();
  const contributed = catalog.fromPlugins();
  const width = Math.max(...[...own, ...contributed].map((e) => e.command.name.length));
  const row = (e: CatalogEntry) => `  ${e.command.name.padEnd(width)}  ${e.command.summary}`;
  return [
    `kb ${version} — the mainframe knowledge base store`,
    '',
    `usage: ${GLOBAL_USAGE}`,
    '',
    'Commands:',
    ...own.map(row),
    '',
    ...(contributed.length === 0
      ? ['Commands of plugins: none (no plugin that brings commands is installed and enabled)', '']
      : ['Commands of plugins:', ...contributed.map((e) => `${row(e)} [plugin ${e.plugin?.id}]`), '']),
    'Options (before or after the command):',
    ...GLOBAL_OPTIONS.map((line) => `  ${line}`),
    '',
    'Environment:',
    ...ENVIRONMENT.map((line) => `  ${line}`),
    '',
    'Exit codes:',
    ...EXIT_CODES.map((line) => `  ${line}`),
  ].join('\n');
}

function origin(entry: CatalogEntry): string[] {
  const { plugin } = entry;
  if (!plugin) return [];
  const from = `Brought by ${describePlugin(plugin)}, version ${plugin.version}`;
  return entry.enabled
    ? ['', `${from}.`]
    : ['', `${from}, which the config file leaves out: add { "id": "${plugin.id}" } to mvp.extensions.`];
}

/** `kb help <command>` and `kb <command> --help`. */
export function commandHelp(entry: CatalogEntry): string {
  const { command } = entry;
  return [
    `usage: ${command.usage}`,
    '',
    command.summary,
    ...(command.details && command.details.length > 0 ? ['', ...command.details.map((d) => `  ${d}`)] : []),
    ...origin(entry),
    '',
    'Global options: --db <target> --config <file> --json --quiet (kb help for details)',
  ].join('\n');
}
