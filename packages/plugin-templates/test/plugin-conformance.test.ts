import { definePluginConformance } from '@mainframe-kb/testkit';
import { templatesPlugin } from '../src/index.js';
import { seedTemplates } from './support/conformance-seed.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: migrations
// down and up, declared tables present, flat methods on the store, every content table (templates, versions,
// links, usage, workspaces) carried through core's table stream, a namespace left dormant without the plugin,
// and nothing a viewer can write through. Exports, backups and copies run in the cli package.

definePluginConformance({ plugin: templatesPlugin, seed: seedTemplates });
