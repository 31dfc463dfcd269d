import type { Command } from './command.js';
import { addCommand } from './commands/add-command.js';
import { backupCommand } from './commands/backup-command.js';
import { copyCommand } from './commands/copy-command.js';
import { deleteCommand } from './commands/delete-command.js';
import { exportCommand } from './commands/export-command.js';
import { feedbackCommand } from './commands/feedback-command.js';
import { getCommand } from './commands/get-command.js';
import { healthCommand } from './commands/health-command.js';
import { importCommand } from './commands/import-command.js';
import { initCommand } from './commands/init-command.js';
import { laterCommands } from './commands/later-commands.js';
import { metricsCommand } from './commands/metrics-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { optimizeCommand } from './commands/optimize-command.js';
import { patternsCommand } from './commands/patterns-command.js';
import { pluginsCommand } from './commands/plugins-command.js';
import { restoreCommand } from './commands/restore-command.js';
import { searchCommand } from './commands/search-command.js';
import { updateCommand } from './commands/update-command.js';

/** Every command, in the order `kb help` lists them. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  addCommand,
  getCommand,
  updateCommand,
  deleteCommand,
  searchCommand,
  feedbackCommand,
  migrateCommand,
  pluginsCommand,
  healthCommand,
  metricsCommand,
  optimizeCommand,
  copyCommand,
  backupCommand,
  restoreCommand,
  exportCommand,
  importCommand,
  patternsCommand,
  ...laterCommands,
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

export function findCommand(name: string): Command | undefined {
  return BY_NAME.get(name);
}
