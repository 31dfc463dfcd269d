import type { KBEntryInput } from '@mainframe-kb/storage-core';
import { type Command, flag } from '../command.js';
import { loadSampleKb } from '../sample-kb.js';
import { describeTarget } from '../store/db-target.js';
import { storeExists } from '../store/open-store.js';
import { addEntries } from './entry-loader.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'create the store (or migrate it); --sample loads the bundled mainframe sample KB',
  usage: 'kb init [--sample]',
  details: [
    '--sample   load the bundled sample KB (COBOL abends, DB2 SQLCODEs, JCL, VSAM, …).',
    '           Entries already present (same id) are kept, so running it twice adds nothing.',
  ],
  options: { sample: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const { target } = ctx.settings();
    const opened = new Date().toISOString();
    let existed = storeExists(target);
    const storage = await ctx.openStorage('auto', { missing: 'create' });
    if (target.type !== 'sqlite') {
      // A server database exists before kb touches it: the store is new if its first migration ran just now.
      const core = (await storage.migrationStatus()).namespaces.find((n) => n.namespace === 'core');
      const first = core?.applied[0]?.appliedAt;
      existed = first !== undefined && first < opened;
    }
    let added = 0;
    let present = 0;
    if (flag(ctx, 'sample')) {
      const sample = loadSampleKb();
      const missing: KBEntryInput[] = [];
      for (const entry of sample) {
        if (entry.id !== undefined && (await storage.readEntry(entry.id)) !== null) present++;
        else missing.push(entry);
      }
      added = (await addEntries(storage, missing, ctx.out, 'Loading sample KB')).length;
    }
    const entries = await storage.countEntries();
    ctx.out.emit({ created: !existed, entries }, () => {
      const lines = [`${existed ? 'Opened' : 'Created'} ${describeTarget(target)}`];
      if (flag(ctx, 'sample')) {
        lines.push(`Loaded ${added} sample entries${present > 0 ? ` (${present} were already there)` : ''}`);
      }
      lines.push(`${entries} entries in the knowledge base`);
      return lines.join('\n');
    });
    return 0;
  },
};
