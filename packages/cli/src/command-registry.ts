import type { Command } from './command.js';
import { addCommand } from './commands/add-command.js';
import { auditCommand } from './commands/audit-command.js';
import { copyCommand } from './commands/copy-command.js';
import { deleteCommand } from './commands/delete-command.js';
import { eventsCommand } from './commands/events-command.js';
import { exportCommand } from './commands/export-command.js';
import { feedbackCommand } from './commands/feedback-command.js';
import { getCommand } from './commands/get-command.js';
import { healthCommand } from './commands/health-command.js';
import { historyCommand } from './commands/history-command.js';
import { importCommand } from './commands/import-command.js';
import { initCommand } from './commands/init-command.js';
import { listCommand } from './commands/list-command.js';
import { metricsCommand } from './commands/metrics-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { optimizeCommand } from './commands/optimize-command.js';
import { pluginsCommand } from './commands/plugins-command.js';
import { searchCommand } from './commands/search-command.js';
import { updateCommand } from './commands/update-command.js';
import { upgradeCommand } from './commands/upgrade-command.js';

/**
 * kb's own commands, in the order `kb help` lists them. Plugins bring theirs (`kb patterns`, `kb backup`,
 * `kb restore` …): see CommandCatalog.
 */
export const COMMANDS: readonly Command[] = [
  initCommand,
  addCommand,
  getCommand,
  updateCommand,
  deleteCommand,
  searchCommand,
  listCommand,
  feedbackCommand,
  historyCommand,
  eventsCommand,
  migrateCommand,
  pluginsCommand,
  healthCommand,
  auditCommand,
  metricsCommand,
  optimizeCommand,
  upgradeCommand,
  copyCommand,
  exportCommand,
  importCommand,
];

/** Stand-ins for commands of packages not in this release; a plugin that brings one replaces it. */
export { laterCommands as PLACEHOLDER_COMMANDS } from './commands/later-commands.js';
