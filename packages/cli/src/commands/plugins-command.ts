import type { PluginInfo } from '@mainframe-kb/storage-core';
import type { Command } from '../command.js';

type PluginJson = PluginInfo & { commands: string[] };
interface ImporterJson {
  source: string;
  description: string;
  entities: string[];
}
interface ExporterJson {
  target: string;
  description: string;
  entities: string[];
  extension: string;
}

function pluginText(p: PluginJson): string {
  const list = (items: readonly string[]) => (items.length === 0 ? '-' : items.join(', '));
  return [
    `${p.id} ${p.version} (MVP${p.mvp}${p.package ? `, ${p.package}` : ''})`,
    `  commands  ${list(p.commands.map((c) => `kb ${c}`))}`,
    `  methods   ${list(p.provides)}`,
    `  tables    ${list(p.tables)}`,
  ].join('\n');
}

/**
 * The importers and exporters of the store. Core lists them store-wide, not per plugin, so they have
 * sections of their own.
 */
function contributionsText(importers: readonly ImporterJson[], exporters: readonly ExporterJson[]): string[] {
  const section = (title: string, rows: [string, string][]) => {
    if (rows.length === 0) return [];
    const width = Math.max(...rows.map(([name]) => name.length));
    return ['', title, ...rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`)];
  };
  return [
    ...section(
      'Importers (kb import <file> --source <name>):',
      importers.map((i) => [i.source, `${i.description} [${i.entities.join(', ')}]`]),
    ),
    ...section(
      'Exporters (kb export --target <name> --out F):',
      exporters.map((e) => [e.target, `${e.description} (.${e.extension}) [${e.entities.join(', ')}]`]),
    ),
  ];
}

export const pluginsCommand: Command = {
  name: 'plugins',
  summary:
    'list the enabled plugins (version, MVP, the commands, methods and tables each brings) and their importers and exporters',
  usage: 'kb plugins',
  details: [
    'commands   the kb subcommands the plugin brings',
    'methods    the flat methods it puts on the store (storage.createPattern …)',
    'tables     the tables it owns, which backups, exports and copies include',
    'Then the importers (kb import --source) and exporters (kb export --target) the enabled plugins',
    'contribute, for the store as a whole.',
  ],
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    const plugins: PluginJson[] = storage.plugins.map((p) => ({
      ...p,
      commands: ctx.catalog.commandsOf(p.id),
    }));
    const importers: ImporterJson[] = storage
      .importers()
      .map(({ source, description, entities }) => ({ source, description, entities: [...entities] }));
    const exporters: ExporterJson[] = storage
      .exporters()
      .map(({ target, description, entities, extension }) => ({
        target,
        description,
        entities: [...entities],
        extension,
      }));
    ctx.out.emit({ plugins, importers, exporters }, () =>
      plugins.length === 0
        ? 'No plugins enabled (MVP1 knowledge base only).'
        : [plugins.map(pluginText).join('\n\n'), ...contributionsText(importers, exporters)].join('\n'),
    );
    return 0;
  },
};
