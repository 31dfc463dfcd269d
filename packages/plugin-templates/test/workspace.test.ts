import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ValidationError } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  memberNameOf,
  memberTypeOf,
  parseXml,
  parseYamlSubset,
  readWorkspace,
  stringifyYamlSubset,
  type WorkspaceModel,
  writeWorkspace,
} from '../src/workspace/index.js';

// Test folders are built here from the documented formats (Eclipse .project, ZAPP, IDz .hbpsd).
const temps: string[] = [];
async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `mfkb-ws-${label}-`));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function put(root: string, rel: string, content: string | Buffer): Promise<void> {
  const abs = path.join(root, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A thrown ValidationError (fails the test when something else happens). */
async function refusal(promise: Promise<unknown>): Promise<ValidationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const PROJECT_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by hand from the Eclipse projectDescription format -->
<projectDescription>
\t<name>PAYROLL-APP</name>
\t<comment>Payroll batch &amp; reports <![CDATA[<v2>]]></comment>
\t<projects>
\t\t<project>SHARED-COPYLIB</project>
\t</projects>
\t<buildSpec>
\t\t<buildCommand>
\t\t\t<name>org.eclipse.ui.externaltools.ExternalToolBuilder</name>
\t\t\t<triggers>full,incremental,</triggers>
\t\t\t<arguments>
\t\t\t\t<dictionary>
\t\t\t\t\t<key>LaunchConfigHandle</key>
\t\t\t\t\t<value>&lt;project&gt;/.externalToolBuilders/dbb-user-build.launch</value>
\t\t\t\t</dictionary>
\t\t\t</arguments>
\t\t</buildCommand>
\t</buildSpec>
\t<natures>
\t\t<nature>com.ibm.ftt.ui.views.project.navigator.local</nature>
\t\t<nature>com.ibm.ftt.dbbz.integration.dbbzprojectnature</nature>
\t</natures>
</projectDescription>
`;

const ZAPP_YAML = `# ZAPP file of the payroll application (written for this test)
name: payroll
description: "Payroll batch: pay calculation & reports"
version: 1.0.0
author:
  name: Test Analyst
propertyGroups:
  - name: cobol-local
    language: cobol
    libraries:
      - name: syslib
        type: local
        locations:
          - "**/COPYBOOK"   # local copybooks
          - 'shared/copy'
  - name: cobol-mvs
    language: cobol
    compilerOptions: "LIB,SOURCE,XREF"
    libraries:
      - name: syslib
        type: mvs
        locations:
          - PAYROLL.PROD.COPYLIB
          - SYS1.SCEESAMP
      - name: jcllib
        type: mvs
profiles:
  - name: payroll-rseapi
    type: rseapi
    settings:
      mappings:
        - resource: "**.COBOL"
          extension: cbl
          transfer: text
      default.encoding: IBM-037
`;

const HBPSD_XML = `<?xml version="1.0" encoding="UTF-8"?>
<SUBPROJECT-STRUCTURE>
  <WSED-VERSION>7.0.0.0</WSED-VERSION>
  <SUBPROJECT>
    <SUBPROJECT-NAME>PAYROLL-MVS</SUBPROJECT-NAME>
    <SUBPROJECT-TYPE>zos-subproject</SUBPROJECT-TYPE>
    <FOLDER-LIST>
      <FOLDER><FOLDER-NAME>PAYROLL.PROD.COBOL</FOLDER-NAME><FOLDER-TYPE>pds</FOLDER-TYPE></FOLDER>
    </FOLDER-LIST>
    <FILE-LIST>
      <FILE>
        <FILE-NAME>PAYCALC.cbl</FILE-NAME>
        <FILE-STATE><PHYSICAL-FILE>
          <FILE-NAME>PAYCALC</FILE-NAME>
          <FILE-PHYSICAL-PATH>PAYROLL.PROD.COBOL/PAYCALC.cbl</FILE-PHYSICAL-PATH>
          <FILE-TYPE>pds-member</FILE-TYPE>
        </PHYSICAL-FILE></FILE-STATE>
      </FILE>
      <FILE>
        <FILE-NAME>EMPREC.cpy</FILE-NAME>
        <FILE-STATE><PHYSICAL-FILE>
          <FILE-PHYSICAL-PATH>PAYROLL.PROD.COPYLIB/EMPREC.cpy</FILE-PHYSICAL-PATH>
        </PHYSICAL-FILE></FILE-STATE>
      </FILE>
    </FILE-LIST>
  </SUBPROJECT>
</SUBPROJECT-STRUCTURE>
`;

const MEMBERS: Record<string, string> = {
  'COBOL/PAYCALC.cbl': '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. PAYCALC.\n',
  'COBOL/PAYRPT.cob': '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. PAYRPT.\n',
  'COBOL/pay-calc2.cbl': '      * a name z/OS cannot hold\n',
  'COPYBOOK/EMPREC.cpy': '       01  EMP-REC.\n           05 EMP-ID   PIC 9(6).\n',
  'copybook/taxrec.cpy': '       01  TAX-REC PIC X(80).\n',
  'JCL/PAYJOB.jcl': '//PAYJOB   JOB (ACCT),CLASS=A\n//STEP1    EXEC PGM=PAYCALC\n',
  'Jcl/RUNRPT': '//RUNRPT   JOB (ACCT)\n',
  'PLI/PAYPLI.pli': ' PAYPLI: PROC OPTIONS(MAIN); END;\n',
  'ASM/PAYASM.asm': 'PAYASM   CSECT\n',
  'REXX/PAYREXX.rexx': '/* REXX */ say "hi"\n',
};

async function buildProject(): Promise<string> {
  const root = await tempDir('src');
  await put(root, '.project', PROJECT_XML);
  await put(root, 'zapp.yaml', ZAPP_YAML);
  await put(root, 'PAYROLL.hbpsd', HBPSD_XML);
  await put(root, 'README.md', '# not a member\n');
  await put(root, 'COBOL/notes.md', 'not a member either\n');
  await put(root, '.git/config', '[core]\n');
  for (const [rel, content] of Object.entries(MEMBERS)) await put(root, rel, content);
  return root;
}

describe('readWorkspace', () => {
  it('reads .project, zapp.yaml, the subproject definition and the member folders', async () => {
    const root = await buildProject();
    const model = await readWorkspace(root);

    expect(model.name).toBe('PAYROLL-APP');
    expect(model.description).toBe('Payroll batch & reports <v2>');
    expect(model.natures).toEqual([
      'com.ibm.ftt.ui.views.project.navigator.local',
      'com.ibm.ftt.dbbz.integration.dbbzprojectnature',
    ]);
    expect(model.builders).toEqual(['org.eclipse.ui.externaltools.ExternalToolBuilder']);
    expect(model.idzProjectPath).toBe('PAYROLL');
    expect(model.propertyGroups).toEqual([
      {
        name: 'cobol-local',
        language: 'cobol',
        libraries: [{ name: 'syslib', type: 'local', locations: ['**/COPYBOOK', 'shared/copy'] }],
      },
      {
        name: 'cobol-mvs',
        language: 'cobol',
        compilerOptions: 'LIB,SOURCE,XREF',
        libraries: [
          { name: 'syslib', type: 'mvs', locations: ['PAYROLL.PROD.COPYLIB', 'SYS1.SCEESAMP'] },
          { name: 'jcllib', type: 'mvs', locations: [] },
        ],
      },
    ]);

    const expected = [
      { path: 'ASM/PAYASM.asm', name: 'PAYASM', type: 'asm' },
      { path: 'COBOL/PAYCALC.cbl', name: 'PAYCALC', type: 'cobol', dataset: 'PAYROLL.PROD.COBOL' },
      { path: 'COBOL/PAYRPT.cob', name: 'PAYRPT', type: 'cobol' },
      { path: 'COBOL/pay-calc2.cbl', name: 'PAY-CALC2', type: 'other' },
      { path: 'COPYBOOK/EMPREC.cpy', name: 'EMPREC', type: 'copybook', dataset: 'PAYROLL.PROD.COPYLIB' },
      { path: 'JCL/PAYJOB.jcl', name: 'PAYJOB', type: 'jcl' },
      { path: 'Jcl/RUNRPT', name: 'RUNRPT', type: 'jcl' },
      { path: 'PLI/PAYPLI.pli', name: 'PAYPLI', type: 'pli' },
      { path: 'REXX/PAYREXX.rexx', name: 'PAYREXX', type: 'rexx' },
      { path: 'copybook/taxrec.cpy', name: 'TAXREC', type: 'copybook' },
    ].map((m) => {
      const content = MEMBERS[m.path] as string;
      return { ...m, size: Buffer.byteLength(content), sha256: sha(content) };
    });
    expect(model.members).toEqual(expected);

    expect(model.metadata).toEqual({
      projects: ['SHARED-COPYLIB'],
      buildArguments: {
        'org.eclipse.ui.externaltools.ExternalToolBuilder': {
          LaunchConfigHandle: '<project>/.externalToolBuilders/dbb-user-build.launch',
        },
      },
      zapp: {
        name: 'payroll',
        description: 'Payroll batch: pay calculation & reports',
        version: '1.0.0',
        author: { name: 'Test Analyst' },
        profiles: [
          {
            name: 'payroll-rseapi',
            type: 'rseapi',
            settings: {
              mappings: [{ resource: '**.COBOL', extension: 'cbl', transfer: 'text' }],
              'default.encoding': 'IBM-037',
            },
          },
        ],
      },
      subproject: {
        name: 'PAYROLL-MVS',
        file: 'PAYROLL.hbpsd',
        folders: ['PAYROLL.PROD.COBOL', 'PAYROLL.PROD.COPYLIB'],
      },
    });
    // Decision: an invalid member name keeps its file, as type 'other', and is reported.
    expect(model.issues).toEqual([
      {
        path: 'COBOL/pay-calc2.cbl',
        message:
          "member name 'PAY-CALC2' is 9 characters; a member name holds at most 8; kept as type 'other'",
      },
    ]);
  });

  it('round-trips: read → write → read gives the same model', async () => {
    const root = await buildProject();
    const model = await readWorkspace(root);
    const out = path.join(await tempDir('out'), 'exported');
    const result = await writeWorkspace(model, out, {
      contents: async (m) => readFile(path.join(root, m.path)),
    });
    expect(result.files.slice(0, 3)).toEqual(['.project', 'PAYROLL.hbpsd', 'zapp.yaml']);
    expect(result.files).toHaveLength(3 + model.members.length);
    const again = await readWorkspace(out);
    expect(again).toEqual(model);

    // Once more, from the written folder: the written files are stable.
    const out2 = await tempDir('out2');
    await writeWorkspace(again, out2, { contents: async (m) => readFile(path.join(out, m.path)) });
    for (const file of ['.project', 'zapp.yaml', 'PAYROLL.hbpsd']) {
      expect(await readFile(path.join(out2, file), 'utf8')).toBe(
        await readFile(path.join(out, file), 'utf8'),
      );
    }
  });

  it('writes only the project files when no member bytes are given', async () => {
    const model = await readWorkspace(await buildProject());
    const out = await tempDir('meta');
    const { files } = await writeWorkspace(model, out);
    expect(files).toEqual(['.project', 'PAYROLL.hbpsd', 'zapp.yaml']);
    expect((await readdir(out)).sort()).toEqual(['.project', 'PAYROLL.hbpsd', 'zapp.yaml']);
    const reread = await readWorkspace(out);
    expect(reread.members).toEqual([]);
    expect(reread.propertyGroups).toEqual(model.propertyGroups);
    expect(reread.idzProjectPath).toBe('PAYROLL');
  });

  it('escapes XML and quotes YAML on export, and reads them back', async () => {
    const model: WorkspaceModel = {
      name: 'A&B <project> "x"',
      description: "it's <b>bold</b> & ]]> done",
      natures: ['com.ibm.ftt.ui.views.project.navigator.local'],
      builders: [],
      idzProjectPath: 'USER1',
      propertyGroups: [
        {
          name: 'group: #1',
          language: 'pl1',
          compilerOptions: 'not(!),margins(2,100)',
          libraries: [
            { name: 'syslib', type: 'local', locations: ['**/INCLUDES', "it's", 'yes', '- x', '123'] },
          ],
          raw: { note: 'kept: as is', flags: [true, 1, null] },
        },
      ],
      members: [],
      metadata: {},
    };
    const out = await tempDir('escape');
    await writeWorkspace(model, out);
    const projectText = await readFile(path.join(out, '.project'), 'utf8');
    expect(projectText).toContain('<name>A&amp;B &lt;project&gt; "x"</name>');
    const back = await readWorkspace(out);
    expect(back.name).toBe(model.name);
    expect(back.description).toBe(model.description);
    expect(back.idzProjectPath).toBe('USER1');
    expect(back.propertyGroups).toEqual(model.propertyGroups);
  });

  it('refuses to write into a non-empty folder unless overwrite is set', async () => {
    const model = await readWorkspace(await buildProject());
    const out = await tempDir('nonempty');
    await put(out, 'existing.txt', 'x');
    const error = await refusal(writeWorkspace(model, out));
    expect(error.message).toMatch(/not empty/);
    await writeWorkspace(model, out, { overwrite: true });
    expect((await readWorkspace(out)).name).toBe('PAYROLL-APP');
  });

  it('refuses member paths that leave the folder and bytes that do not match the member', async () => {
    const model = await readWorkspace(await buildProject());
    const evil: WorkspaceModel = {
      ...model,
      members: [{ name: 'EVIL', type: 'cobol', path: '../EVIL.cbl', size: 1, sha256: sha('x') }],
    };
    const error = await refusal(writeWorkspace(evil, await tempDir('evil')));
    expect(error.issues[0]?.message).toMatch(/'\.\.'/);

    const wrong = await refusal(
      writeWorkspace(model, await tempDir('wrong'), { contents: async () => Buffer.from('tampered') }),
    );
    expect(wrong.message).toMatch(/do not match/);
  });

  it('does not write through a symlinked folder when overwriting', async () => {
    const root = await buildProject();
    const model = await readWorkspace(root);
    const outside = await tempDir('target-outside');
    const out = await tempDir('target');
    await symlink(outside, path.join(out, 'COBOL'));
    const error = await refusal(
      writeWorkspace(model, out, {
        overwrite: true,
        contents: async (m) => readFile(path.join(root, m.path)),
      }),
    );
    expect(error.message).toMatch(/resolves outside/);
    expect(await readdir(outside)).toEqual([]);
  });

  it('requires .project and names it', async () => {
    const root = await tempDir('noproject');
    await put(root, 'COBOL/A.cbl', 'x');
    const error = await refusal(readWorkspace(root));
    expect(error.message).toMatch(/\.project/);
    expect(error.issues[0]?.path).toBe('.project');
  });

  it('refuses a DOCTYPE / ENTITY declaration (XXE, billion laughs)', async () => {
    const laughs = await tempDir('laughs');
    await put(
      laughs,
      '.project',
      `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<projectDescription><name>&lol2;</name></projectDescription>`,
    );
    const e1 = await refusal(readWorkspace(laughs));
    expect(e1.message).toMatch(/DOCTYPE declarations are not accepted/);
    expect(e1.message).toMatch(/line 2/);

    const xxe = await tempDir('xxe');
    await put(
      xxe,
      '.project',
      `<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<projectDescription><name>&xxe;</name></projectDescription>`,
    );
    expect((await refusal(readWorkspace(xxe))).message).toMatch(/DOCTYPE/);

    // An undeclared entity is refused too, not silently kept.
    const undeclared = await tempDir('entity');
    await put(undeclared, '.project', '<projectDescription><name>&nbsp;</name></projectDescription>');
    expect((await refusal(readWorkspace(undeclared))).message).toMatch(/unknown entity '&nbsp;'/);
  });

  it('refuses malformed XML, naming the line', async () => {
    const root = await tempDir('malformed');
    await put(
      root,
      '.project',
      '<?xml version="1.0" encoding="UTF-8"?>\n<projectDescription>\n\t<name>X</name>\n\t<natures><nature>a</natures>\n</projectDescription>\n',
    );
    const error = await refusal(readWorkspace(root));
    expect(error.message).toMatch(
      /\.project: malformed XML at line 4, column \d+: <\/natures> does not match <nature>/,
    );
    expect(error.issues[0]?.path).toBe('.project');
  });

  it('refuses a YAML anchor, alias or tag in zapp.yaml', async () => {
    for (const [label, yaml, pattern] of [
      ['anchor', 'name: x\nbase: &base\n  a: 1\nother: *base\n', /line 2: anchors/],
      ['alias', 'name: x\npropertyGroups:\n  - *g\n', /line 3: aliases/],
      ['tag', 'name: !!python/object:os.system x\n', /line 1: tags/],
    ] as const) {
      const root = await tempDir(label);
      await put(root, '.project', '<projectDescription><name>P</name></projectDescription>');
      await put(root, 'zapp.yaml', yaml);
      const error = await refusal(readWorkspace(root));
      expect(error.message).toMatch(pattern);
      expect(error.issues[0]?.path).toBe('zapp.yaml');
    }
  });

  it('reads zapp.json when there is no zapp.yaml, and refuses a malformed property group', async () => {
    const root = await tempDir('json');
    await put(root, '.project', '<projectDescription><name>P</name></projectDescription>');
    await put(
      root,
      'zapp.json',
      JSON.stringify({
        name: 'p',
        propertyGroups: [{ name: 'g', libraries: [{ name: 'syslib', type: 'local', locations: ['COPY'] }] }],
      }),
    );
    const model = await readWorkspace(root);
    expect(model.idzProjectPath).toBe('p');
    expect(model.propertyGroups).toEqual([
      { name: 'g', libraries: [{ name: 'syslib', type: 'local', locations: ['COPY'] }] },
    ]);

    await put(
      root,
      'zapp.json',
      JSON.stringify({ name: 'p', propertyGroups: [{ name: 'g', libraries: [{ name: 'x', type: 'ftp' }] }] }),
    );
    const error = await refusal(readWorkspace(root));
    expect(error.issues[0]?.message).toMatch(
      /propertyGroups\[0\]\.libraries\[0\]\.type: must be 'local' or 'mvs'/,
    );
  });

  it('refuses a symlink that leaves the folder, follows none that stay inside as folders', async () => {
    const outside = await tempDir('outside');
    await put(outside, 'SECRET.cbl', 'secret');
    const root = await tempDir('symlink');
    await put(root, '.project', '<projectDescription><name>P</name></projectDescription>');
    await put(root, 'COBOL/A.cbl', 'a');
    await symlink(path.join(outside, 'SECRET.cbl'), path.join(root, 'COBOL', 'EVIL.cbl'));
    const error = await refusal(readWorkspace(root));
    expect(error.message).toMatch(/COBOL\/EVIL\.cbl: is a symbolic link that points outside/);

    // A relative link climbing out is refused the same way; one staying inside is read.
    const root2 = await tempDir('symlink2');
    await put(root2, '.project', '<projectDescription><name>P</name></projectDescription>');
    await put(root2, 'COBOL/A.cbl', 'a');
    await symlink(`../../${path.basename(outside)}/SECRET.cbl`, path.join(root2, 'COBOL', 'B.cbl'));
    expect((await refusal(readWorkspace(root2))).message).toMatch(
      /COBOL\/B\.cbl: is a symbolic link that points outside/,
    );
    await rm(path.join(root2, 'COBOL', 'B.cbl'));
    await symlink('A.cbl', path.join(root2, 'COBOL', 'B.cbl'));
    await symlink('COBOL', path.join(root2, 'LOOP'));
    const model = await readWorkspace(root2);
    expect(model.members.map((m) => [m.path, m.sha256])).toEqual([
      ['COBOL/A.cbl', sha('a')],
      ['COBOL/B.cbl', sha('a')],
    ]);
    expect(model.issues).toEqual([
      { path: 'LOOP', message: 'symbolic link to a folder inside the workspace: not followed' },
    ]);

    // .project itself may not be a link out of the folder.
    const root3 = await tempDir('symlink3');
    await put(outside, 'other.project', '<projectDescription><name>P</name></projectDescription>');
    await symlink(path.join(outside, 'other.project'), path.join(root3, '.project'));
    expect((await refusal(readWorkspace(root3))).issues[0]?.path).toBe('.project');
  });

  it('refuses more members than maxMembers and files larger than maxFileBytes', async () => {
    const root = await buildProject();
    expect((await refusal(readWorkspace(root, { maxMembers: 5 }))).message).toMatch(/more than 5 members/);
    expect((await refusal(readWorkspace(root, { maxFileBytes: 40 }))).message).toMatch(/the limit is 40/);
  });

  it('reads a 2,000-member project quickly', async () => {
    const root = await tempDir('big');
    await put(root, '.project', PROJECT_XML);
    const folders = ['COBOL', 'COPYBOOK', 'JCL', 'PLI'];
    const ext = ['cbl', 'cpy', 'jcl', 'pli'];
    await Promise.all(
      Array.from({ length: 2000 }, (_, k) => {
        const f = k % 4;
        const name = `M${String(k).padStart(5, '0')}`;
        return put(root, `${folders[f]}/${name}.${ext[f]}`, `       * member ${k}\n`.repeat(20));
      }),
    );
    const started = performance.now();
    const model = await readWorkspace(root);
    const ms = performance.now() - started;
    console.info(`readWorkspace: 2,000 members in ${ms.toFixed(0)} ms`);
    expect(model.members).toHaveLength(2000);
    expect(model.members.filter((m) => m.type === 'copybook')).toHaveLength(500);
  });
});

describe('member conventions', () => {
  it('types members by extension, then by folder, case-insensitively', () => {
    expect(memberTypeOf('COBOL/A.cbl')).toBe('cobol');
    expect(memberTypeOf('src/copylib/A')).toBe('copybook');
    expect(memberTypeOf('INCLUDES/BAL.inc')).toBe('pli');
    expect(memberTypeOf('ASMMAC/MOPEN.mac')).toBe('asm');
    expect(memberTypeOf('misc/A.CBL')).toBe('cobol');
    expect(memberTypeOf('README.md')).toBeUndefined();
    expect(memberNameOf('irr@xacs.asm')).toEqual({ name: 'IRR@XACS' });
    expect(memberNameOf('1ABC.cbl').problem).toMatch(/starts with a digit/);
  });
});

describe('XML reader', () => {
  it('reads elements, attributes, entities, character references, comments and CDATA', () => {
    const root = parseXml(
      `\uFEFF<?xml version="1.0" encoding="utf-8"?><?pi data?><a x='1' y="&quot;&#65;&#x42;">t&lt;<!-- c --><b/><![CDATA[&raw]]></a>`,
    );
    expect(root.name).toBe('a');
    expect(root.attributes).toEqual({ x: '1', y: '"AB' });
    expect(root.children).toEqual(['t<', { name: 'b', attributes: {}, children: [], line: 1 }, '&raw']);
  });

  it.each([
    ['<a><b></a>', /line 1, column 7: <\/a> does not match <b>/],
    ['<a x="1" x="2"/>', /appears twice/],
    ['<a>&#0;</a>', /does not allow/],
    ['<a/><b/>', /only one root/],
    ['<a>x</a>tail', /outside the root/],
    ['<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /encoding/],
    ['<a><!-- a -- b --></a>', /'--'/],
    ['<a>\n\n<b x=1/></a>', /line 3, column 6: the value of attribute 'x' must be quoted/],
  ])('refuses %j', (xml, pattern) => {
    expect(() => parseXml(xml)).toThrow(pattern);
  });
});

describe('YAML subset', () => {
  it('reads mappings, sequences, quoted and block scalars, flow collections and comments', () => {
    const doc = parseYamlSubset(`---
# comment
a: plain value # trailing comment
b: 'it''s'
c: "tab\\tunicode \\u00e9"
d: [1, two, "three", {k: v}]
e: {}
f:
- x
- y: 1
  z: true
g: |
  line 1
   line 2
h: >-
  folded
  text
i: ~
j: http://example.com/a#b
`);
    expect(doc).toEqual({
      a: 'plain value',
      b: "it's",
      c: 'tab\tunicode é',
      d: [1, 'two', 'three', { k: 'v' }],
      e: {},
      f: ['x', { y: 1, z: true }],
      g: 'line 1\n line 2\n',
      h: 'folded text',
      i: null,
      j: 'http://example.com/a#b',
    });
  });

  it('writes what it reads', () => {
    const value = {
      name: 'x',
      list: ['**/COPYBOOK', 'yes', '', 'a: b', ' lead', 12, false, null, { k: ['v'] }],
      nested: { deep: { deeper: [] } },
    };
    expect(parseYamlSubset(stringifyYamlSubset(value))).toEqual(value);
  });

  it.each([
    ['a: 1\na: 2\n', /line 2: duplicate key 'a'/],
    ['a:\n\tb: 1\n', /tabs/],
    ['%YAML 1.2\n---\na: 1\n', /directives/],
    ['a: 1\n---\nb: 2\n', /only one YAML document/],
    ['<<: {a: 1}\n', /merge keys/],
    ['? complex\n: v\n', /complex keys/],
    ['a: multi\n  line\n', /multi-line/],
  ])('refuses %j', (yaml, pattern) => {
    expect(() => parseYamlSubset(yaml)).toThrow(pattern);
  });
});
