import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The real `kb` process, run in an operator's project that installed this plugin and names it in its config:
// kb is installed elsewhere (here, the workspace's CLI package), so it must find the plugin from the project.

const here = dirname(fileURLToPath(import.meta.url));
const pluginRoot = resolve(here, '..');
const require = createRequire(import.meta.url);
// The CLI package's root: its entry is dist/index.js.
const kbBin = join(dirname(dirname(require.resolve('@mainframe-kb/cli'))), 'bin/kb.js');

let project: string;
beforeAll(() => {
  // The package is consumed through its built files, as an installed copy would be.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: pluginRoot,
  });
  project = mkdtempSync(join(tmpdir(), 'kb-notes-project-'));
  mkdirSync(join(project, 'node_modules/@mainframe-kb'), { recursive: true });
  symlinkSync(pluginRoot, join(project, 'node_modules/@mainframe-kb/example-plugin-notes'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ops-project', private: true }));
  writeFileSync(
    join(project, 'kb.config.json'),
    JSON.stringify({
      database: { path: 'kb.db' },
      mvp: { extensions: [{ id: 'notes', package: '@mainframe-kb/example-plugin-notes' }] },
    }),
  );
}, 120_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

function kb(...args: string[]) {
  const run = spawnSync(process.execPath, [kbBin, ...args], {
    cwd: project,
    env: { ...process.env, KB_ACTOR: 'maria' },
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('kb with the plugin installed in the operator’s project', () => {
  it('lists the plugin’s command and runs it on a store it creates', () => {
    expect(kb('init').code).toBe(0);
    expect(kb('help').stdout).toContain('notes');
    const added = kb(
      '--json',
      'add',
      '--title',
      'S0C7 in PAYR010',
      '--problem',
      'Packed decimal field holds spaces.',
      '--solution',
      'Initialise WS-AMOUNT before the ADD.',
      '--category',
      'COBOL',
    );
    expect(added.code, added.stderr).toBe(0);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const note = kb('--json', 'notes', 'add', id, 'Seen again on LPAR2 after the IPL.');
    expect(note.code, note.stderr).toBe(0);
    const listed = kb('--json', 'notes', 'list', id);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('Seen again on LPAR2 after the IPL.');
  });
});
