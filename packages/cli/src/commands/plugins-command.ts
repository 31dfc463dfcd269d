import type { Command } from '../command.js';
import { formatTable } from '../output/table-format.js';

export const pluginsCommand: Command = {
  name: 'plugins',
  summary: 'list the enabled extensions with version and MVP',
  usage: 'kb plugins',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    const plugins = storage.plugins.map((p) => ({ ...p }));
    ctx.out.emit({ plugins }, () =>
      plugins.length === 0
        ? 'No extensions enabled (MVP1 knowledge base only).'
        : formatTable(
            ['ID', 'VERSION', 'MVP', 'PACKAGE'],
            plugins.map((p) => [p.id, p.version, String(p.mvp), p.package ?? '']),
          ),
    );
    return 0;
  },
};
