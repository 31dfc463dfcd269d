import { definePluginConformance } from '@mainframe-kb/testkit';
import { codePlugin } from '../src/index.js';
import { seedCode } from './support/conformance-seed.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: migrations
// down and up, declared tables present, flat methods on the store, every content table (repositories, files,
// analysis results, KB references) carried through core's table stream — the symbol index rebuilt from the
// files after the load — a namespace left dormant without the plugin, and nothing a viewer can write
// through. Exports, backups and copies of these tables run in the cli package, which depends on them all.

definePluginConformance({ plugin: codePlugin, seed: seedCode });
