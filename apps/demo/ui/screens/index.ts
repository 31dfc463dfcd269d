import type { Screen } from '../screen.js';
import { entryScreen, newEntryScreen } from './entry.js';
import { searchScreen } from './search.js';

/** Every screen of the web app, in navigation order. */
export const SCREENS: Screen[] = [searchScreen, entryScreen, newEntryScreen];
