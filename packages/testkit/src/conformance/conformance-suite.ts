import { afterAll, describe } from 'vitest';
import { defineAccessConformance } from './access-conformance.js';
import type { ConformanceTarget } from './conformance-helpers.js';
import { defineEventsConformance } from './events-conformance.js';
import { defineHostileInputConformance } from './hostile-input-conformance.js';
import { defineKbConformance } from './kb-conformance.js';
import { defineModelConformance } from './model-conformance.js';
import { defineSearchConformance } from './search-conformance.js';

/**
 * Registers the conformance suite: the behaviour every dialect and every plugin combination must show,
 * run unchanged against each (one suite, thin per-dialect files, as db0 does for its connectors).
 *
 * ```ts
 * // test/sqlite.conformance.test.ts
 * defineConformanceSuite({ name: 'sqlite', open: () => createStorage({ database: { type: 'sqlite', path: tempFile() } }) });
 * ```
 *
 * `open()` must return a new, empty, migrated store on every call; the suite closes each one it opens.
 */
export function defineConformanceSuite(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.name}`, () => {
    defineKbConformance(target);
    defineSearchConformance(target);
    defineEventsConformance(target);
    defineAccessConformance(target);
    defineHostileInputConformance(target);
    defineModelConformance(target);
    if (target.cleanup) afterAll(target.cleanup);
  });
}
