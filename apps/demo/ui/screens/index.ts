import type { Screen } from '../screen.js';
import { analyticsScreen } from './analytics.js';
import { backupsScreen } from './backups.js';
import { codeScreen } from './code.js';
import { entryScreen, newEntryScreen } from './entry.js';
import { incidentsScreen } from './incidents.js';
import { searchScreen } from './search.js';
import { templatesScreen } from './templates.js';
import { transferScreen } from './transfer.js';

/** Every screen of the web app, in navigation order. */
export const SCREENS: Screen[] = [
  searchScreen,
  entryScreen,
  newEntryScreen,
  incidentsScreen,
  codeScreen,
  templatesScreen,
  analyticsScreen,
  backupsScreen,
  transferScreen,
];
