import type { PluginInfo } from '@mainframe-kb/storage-core';
import type { Command } from '../command.js';

type PluginJson = PluginInfo & { commands: string[] };

function pluginText(p: PluginJson): string {
  const list = (items: readonly string[]) => (items.length === 0 ? '-' : items.join(', '));
  return [
    `${p.id} ${p.version} (MVP${p.mvp}${p.package ? `, ${p.package}` : ''})`,
    `  commands  ${list(p.commands.map((c) => `kb ${c}`))}`,
    `  methods   ${list(p.provides)}`,
    `  tables    ${list(p.tables)}`,
  ].join('\n');
}

export const pluginsCommand: Command = {
  name: 'plugins',
  summary: 'list the enabled plugins: version, MVP, and the commands, methods and tables each brings',
  usage: 'kb plugins',
  details: [
    'commands   the kb subcommands the plugin brings',
    'methods    the flat methods it puts on the store (storage.createPattern …)',
    'tables     the tables it owns, which backups, exports and copies include',
  ],
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    const plugins: PluginJson[] = storage.plugins.map((p) => ({
      ...p,
      commands: ctx.catalog.commandsOf(p.id),
    }));
    ctx.out.emit({ plugins }, () =>
      plugins.length === 0
        ? 'No plugins enabled (MVP1 knowledge base only).'
        : plugins.map(pluginText).join('\n\n'),
    );
    return 0;
  },
};
