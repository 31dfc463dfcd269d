import { definePluginConformance } from '@mainframe-kb/testkit';
import { patternsPlugin } from '../src/index.js';
import { seedPatterns } from './support/conformance-seed.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: migrations
// down and up, declared tables present, flat methods on the store, every content table (incidents, patterns
// and their members, KB links and suggestions) carried through core's table stream, a namespace left dormant
// without the plugin, and nothing a viewer can write through. The io-formats and backup round trips of this
// plugin's tables run in the cli package, which depends on all three.

definePluginConformance({
  plugin: patternsPlugin,
  seed: async (storage) => void (await seedPatterns(storage)),
});
