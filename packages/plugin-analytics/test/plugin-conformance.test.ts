import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { definePluginConformance } from '@mainframe-kb/testkit';
import { analyticsPlugin } from '../src/index.js';
import { seedAnalytics } from './support/conformance-seed.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: migrations
// down and up, declared tables present, flat methods on the store, every content table (predictions,
// snapshots, datasets and their members, models and their chunks, the auto-resolution log and its head)
// carried through core's table stream, a namespace left dormant without the plugin, and nothing a viewer can
// write through. Exports, backups and copies run in the cli package.

definePluginConformance({ plugin: analyticsPlugin, with: [patternsPlugin], seed: seedAnalytics });
