import type { Storage } from '@mainframe-kb/storage-core';
import { templatesPlugin } from '../../src/index.js';

/**
 * Rows in every content table of the plugin: a template with two versions, linked to a KB entry and to a
 * pattern id, rendered once with an outcome recorded, and a project workspace.
 */
export async function seedTemplates(storage: Storage): Promise<void> {
  const entry = await storage.createEntry({
    title: 'S0C7 on a packed field',
    problem: 'The field holds spaces.',
    solution: 'Guard it with IF NUMERIC.',
    category: 'COBOL',
  });
  const api = storage.plugin(templatesPlugin);
  await storage.storeTemplate({
    name: 'NUMERIC-GUARD',
    description: 'IF NUMERIC around a MOVE',
    language: 'cobol',
    category: 'abend-fix',
    content:
      '           IF {{FIELD}} IS NUMERIC\n              MOVE {{FIELD}} TO {{TARGET}}\n           END-IF\n',
    parameters: [
      { name: 'FIELD', kind: 'string', maxLength: 30 },
      { name: 'TARGET', kind: 'string', maxLength: 30 },
    ],
    errorCodes: ['S0C7'],
    kbEntryIds: [entry],
  });
  await api.updateTemplate('NUMERIC-GUARD', {
    content:
      '           IF {{FIELD}} IS NUMERIC\n              MOVE {{FIELD}} TO {{TARGET}}\n           ELSE\n              MOVE ZERO TO {{TARGET}}\n           END-IF\n',
    changeNote: 'zero otherwise',
  });
  await api.linkPattern('NUMERIC-GUARD', 'pattern-s0c7-payroll');
  await api.render('NUMERIC-GUARD', { FIELD: 'WS-A', TARGET: 'WS-B' });
  await api.recordOutcome('NUMERIC-GUARD', { worked: true, note: 'fixed the nightly run' });
  await api.saveWorkspace({
    name: 'PAYROLL',
    idzProjectPath: 'PROD.PAYROLL',
    localPath: null,
    members: [
      { name: 'PAYR010', type: 'cobol', path: 'COBOL/PAYR010.cbl', size: 1200, sha256: 'a'.repeat(64) },
    ],
    metadata: { natures: ['com.ibm.ftt.ui.views.project.navigator.local'] },
  });
}
