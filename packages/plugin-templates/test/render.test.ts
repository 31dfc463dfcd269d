import { ValidationError } from '@mainframe-kb/storage-core';
import Mustache from 'mustache';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParameterDefinitionInput } from '../src/params/index.js';
import { validateParameters } from '../src/params/index.js';
import {
  assertTemplate,
  checkTemplate,
  compileTemplate,
  MAX_SECTION_DEPTH,
  renderTemplate,
  type TemplateProblemKind,
  templateVariables,
} from '../src/render/index.js';

const defs: ParameterDefinitionInput[] = [
  { name: 'A', kind: 'string' },
  { name: 'JOB', kind: 'jobname' },
  { name: 'DSN', kind: 'dataset' },
  { name: 'OPT', kind: 'string', required: false },
  { name: 'FLAG', kind: 'boolean', default: false },
  { name: 'N', kind: 'integer', default: 0 },
];

function kinds(content: string, definitions = defs): TemplateProblemKind[] {
  return checkTemplate(content, definitions).problems.map((p) => p.kind);
}

function throwsValidation(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('renderTemplate', () => {
  it('outputs values verbatim: no HTML escaping, {{x}} and {{{x}}} alike', () => {
    const value = `<a href="x">&'/\`=</a> PARM='A&B'`;
    expect(renderTemplate('{{A}}|{{{A}}}|{{&A}}', { A: value })).toBe(`${value}|${value}|${value}`);
    expect(renderTemplate('//{{ JOB }} JOB (ACCT),CLASS=A', { JOB: 'PAYJOB1' })).toBe(
      '//PAYJOB1 JOB (ACCT),CLASS=A',
    );
    expect(renderTemplate('{{N}} {{FLAG}} {{F2}}', { N: 0, FLAG: true, F2: false })).toBe('0 true false');
  });

  it('does not change mustache globals; other users still get HTML escaping', () => {
    const globalEscape = Mustache.escape;
    renderTemplate('{{A}}', { A: '<' });
    expect(Mustache.escape).toBe(globalEscape);
    expect(Mustache.render('{{x}}', { x: '<&>' })).toBe('&lt;&amp;&gt;');
  });

  it('sections and inverted sections over parameters', () => {
    const t =
      '{{#OPT}}OPT={{OPT}}{{/OPT}}{{^OPT}}no opt{{/OPT}};{{#FLAG}}flag{{/FLAG}}{{^FLAG}}noflag{{/FLAG}};{{#N}}n={{N}}{{/N}}';
    expect(renderTemplate(t, { OPT: 'X', FLAG: true, N: 3 }, { definitions: defs })).toBe('OPT=X;flag;n=3');
    expect(renderTemplate(t, { FLAG: false, N: 0 }, { definitions: defs })).toBe('no opt;noflag;');
    expect(renderTemplate(t, { OPT: '', FLAG: false, N: 0 }, { definitions: defs })).toBe('no opt;noflag;');
  });

  it('renders what validateParameters returns (the intended pipeline)', () => {
    const { values } = validateParameters(defs, { A: 'x', JOB: 'payjob1', DSN: 'prod.pay.data' });
    expect(
      renderTemplate('//{{JOB}} JOB\n//IN DD DSN={{DSN}},DISP=SHR{{#OPT}},VOL={{OPT}}{{/OPT}}\n', values, {
        definitions: defs,
      }),
    ).toBe('//PAYJOB1 JOB\n//IN DD DSN=PROD.PAY.DATA,DISP=SHR\n');
  });

  it('refuses values that are not text, numbers or booleans, and text with line breaks', () => {
    const bad: Record<string, unknown> = {
      F: () => 'x',
      O: { toString: () => 'x' },
      L: ['a'],
      Z: null,
      I: Number.POSITIVE_INFINITY,
      NL: 'A\n//EVIL EXEC PGM=IEFBR14',
      S: Symbol('s'),
      B: 10n,
    };
    const error = throwsValidation(() => renderTemplate('x', bad as Record<string, string>));
    expect(error.issues.map((i) => i.path)).toEqual(['F', 'O', 'L', 'Z', 'I', 'NL', 'S', 'B']);
    expect(error.issues[0]?.message).toBe('a value is text, a number or a boolean, not a function');
    expect(throwsValidation(() => renderTemplate('x', null as never)).issues[0]?.path).toBe('');
  });

  it('refuses value names that are not parameter names, and undeclared ones when definitions are given', () => {
    const error = throwsValidation(() =>
      renderTemplate('{{A}}', { A: '1', constructor: 'x', 'a.b': 'y', EXTRA: 'z' }, { definitions: defs }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['constructor', 'a.b', 'EXTRA']);
  });

  it('without definitions the value names are the declared names', () => {
    expect(renderTemplate('{{A}}{{B}}', { A: '1', B: '2' })).toBe('12');
    expect(throwsValidation(() => renderTemplate('{{A}}{{B}}', { A: '1' })).issues).toEqual([
      { path: 'content', message: "line 1, column 6: '{{B}}' names 'B', which is not a declared parameter" },
    ]);
  });

  it('is not affected by the global template cache or global tags', () => {
    const content = '{{A}}-{{A}}';
    // Another user of mustache parses the same text and tampers with the cached tokens …
    const shared = Mustache.parse(content) as unknown as string[][];
    const first = shared[0];
    if (first) first[1] = 'POISON';
    expect(renderTemplate(content, { A: 'ok' })).toBe('ok-ok');
    // … or switches the global delimiters.
    const tags = Mustache.tags;
    Reflect.set(Mustache, 'tags', ['<%', '%>']);
    try {
      expect(renderTemplate('{{A}} <%A%>', { A: 'ok' })).toBe('ok <%A%>');
    } finally {
      Reflect.set(Mustache, 'tags', tags);
    }
    Mustache.clearCache();
    // Our renders leave nothing in the global cache.
    renderTemplate('{{A}} unique-9f1c', { A: 'x' });
    const cache = Mustache.templateCache as unknown as { _cache: Record<string, unknown> };
    expect(Object.keys(cache._cache).filter((k) => k.includes('unique-9f1c'))).toEqual([]);
  });

  it('two templates rendered in turn do not influence each other', () => {
    const t1 = '{{#A}}[{{A}}]{{/A}}';
    const t2 = '{{^A}}none{{/A}}{{A}}';
    expect(renderTemplate(t1, { A: 'x' })).toBe('[x]');
    expect(renderTemplate(t2, { A: 'y' })).toBe('y');
    expect(renderTemplate(t1, { A: 'z' })).toBe('[z]');
  });
});

describe('compileTemplate', () => {
  it('checks once, renders like renderTemplate with definitions', () => {
    const t = '//{{JOB}} JOB\n{{#OPT}}//* {{OPT}}\n{{/OPT}}//S1 EXEC PGM=X,PARM={{N}}\n';
    const compiled = compileTemplate(t, defs);
    expect(compiled.variables).toEqual(['JOB', 'OPT', 'N']);
    expect(Object.isFrozen(compiled)).toBe(true);
    for (const values of [
      { JOB: 'J1', N: 5 },
      { JOB: 'J2', OPT: 'note', N: 0 },
    ] as Record<string, string | number>[]) {
      expect(compiled.render(values)).toBe(renderTemplate(t, values, { definitions: defs }));
    }
    expect(compiled.render({ JOB: 'J1', N: 5 })).toBe('//J1 JOB\n//S1 EXEC PGM=X,PARM=5\n');
    expect(
      throwsValidation(() => compiled.render({ JOB: 'J\nX', EXTRA: 'y' })).issues.map((i) => i.path),
    ).toEqual(['JOB', 'EXTRA']);
    expect(throwsValidation(() => compileTemplate('{{A}}{{> p}}{{B}}', defs)).issues).toHaveLength(2);
  });
});

describe('checkTemplate / templateVariables', () => {
  it('lists variables in order of first use, and unused parameters', () => {
    const check = checkTemplate(
      '{{JOB}} {{#OPT}}{{A}}{{/OPT}} {{{JOB}}} {{^FLAG}}x{{/FLAG}} {{! a comment }}',
      defs,
    );
    expect(check).toEqual({
      ok: true,
      problems: [],
      variables: ['JOB', 'OPT', 'A', 'FLAG'],
      unused: ['DSN', 'N'],
    });
    expect(templateVariables('{{B}}{{#C}}{{B}}{{/C}}{{&D}}')).toEqual(['B', 'C', 'D']);
    expect(templateVariables('no tags at all')).toEqual([]);
    expect(checkTemplate('{{A}}', { parameters: [{ name: 'A', kind: 'string' }], rules: [] }).ok).toBe(true);
  });

  it('lists every problem with its line and column', () => {
    const content = 'line one {{UNKNOWN}}\n  {{> part}} {{=<% %>=}}\n<%a.b%> <%A%> <%.%> <%constructor%>';
    const check = checkTemplate(content, defs);
    expect(check.ok).toBe(false);
    expect(check.problems.map((p) => [p.kind, p.line, p.column])).toEqual([
      ['unknown-name', 1, 10],
      ['partial', 2, 3],
      ['delimiter-change', 2, 14],
      ['invalid-name', 3, 1],
      ['invalid-name', 3, 15],
      ['invalid-name', 3, 21],
    ]);
    expect(check.problems[0]?.message).toBe(
      "line 1, column 10: '{{UNKNOWN}}' names 'UNKNOWN', which is not a declared parameter",
    );
    expect(() => assertTemplate(content, defs)).toThrow(ValidationError);
    expect(throwsValidation(() => assertTemplate(content, defs)).issues).toHaveLength(6);
  });

  it('unbalanced sections and unclosed tags', () => {
    expect(kinds('{{#A}}x')).toEqual(['unbalanced-section']);
    expect(kinds('x{{/A}}')).toEqual(['unbalanced-section']);
    expect(kinds('{{#A}}{{#OPT}}{{/A}}{{/OPT}}')).toEqual(['unbalanced-section']);
    expect(kinds('{{A')).toEqual(['syntax']);
    const problem = checkTemplate('ok\n{{#A}}\n{{/B}}', defs).problems[0];
    expect(problem).toMatchObject({ kind: 'unbalanced-section', name: 'A', line: 3, column: 1 });
    expect(() => templateVariables('{{#A}}')).toThrow(ValidationError);
  });

  it('sections nested too deep are refused', () => {
    const deep = (n: number) => '{{#A}}'.repeat(n) + 'x' + '{{/A}}'.repeat(n);
    expect(kinds(deep(MAX_SECTION_DEPTH))).toEqual([]);
    expect(kinds(deep(MAX_SECTION_DEPTH + 1))).toEqual(['too-deep']);
    expect(kinds(deep(5000))).toEqual(['too-deep']);
  });
});

/**
 * Server-side template injection payloads for the Mustache/Handlebars family, after PortSwigger's
 * "Server-side template injection" research (the Handlebars `{{#with "s" as |string|}}` RCE chain) and
 * PayloadsAllTheThings "Server Side Template Injection" (JavaScript / Handlebars / Mustache sections).
 * The code each would run only sets a marker, so a failure would show without doing harm.
 */
const HANDLEBARS_RCE = `{{#with "s" as |string|}}
  {{#with "e"}}
    {{#with split as |conslist|}}
      {{this.pop}}
      {{this.push (lookup string.sub "constructor")}}
      {{this.pop}}
      {{#with string.split as |codelist|}}
        {{this.pop}}
        {{this.push "return globalThis.__sstiMarker = process.env;"}}
        {{this.pop}}
        {{#each conslist}}
          {{#with (string.sub.apply 0 codelist)}}
            {{this}}
          {{/with}}
        {{/each}}
      {{/with}}
    {{/with}}
  {{/with}}
{{/with}}`;

const TAG_PAYLOADS: string[] = [
  HANDLEBARS_RCE,
  HANDLEBARS_RCE.replace(/\n\s*/g, ''),
  '{{#with "constructor"}}{{#with split as |a|}}{{pop (push "alert(1)")}}{{/with}}{{/with}}',
  "{{constructor.constructor('return globalThis.__sstiMarker = process')()}}",
  "{{A.constructor.constructor('return process')()}}",
  '{{this.constructor.constructor}}',
  '{{this}}',
  '{{constructor}}',
  '{{{constructor}}}',
  '{{&constructor}}',
  '{{__proto__}}',
  '{{__proto__.polluted}}',
  '{{#__proto__}}{{polluted}}{{/__proto__}}',
  '{{toString}}',
  '{{valueOf}}',
  '{{hasOwnProperty}}{{A}}',
  '{{#constructor}}{{name}}{{/constructor}}',
  '{{#A.constructor.constructor}}return globalThis.__sstiMarker = 1{{/A.constructor.constructor}}',
  '{{A.constructor.name}}',
  '{{A.length}}',
  '{{A.__proto__.polluted}}',
  '{{#each this}}{{@key}}={{this}}{{/each}}',
  '{{#each A}}{{this}}{{/each}}',
  '{{lookup}}',
  '{{lookup this "constructor"}}',
  '{{lookup (lookup this "constructor") "constructor"}}',
  '{{#if A}}x{{else}}y{{/if}}',
  '{{process.env.HOME}}',
  '{{process}}',
  '{{global.process.mainModule.require}}',
  '{{7*7}}',
  '{{.}}',
  '{{#A}}{{.}}{{/A}}',
  '{{=<% %>=}}<%constructor%>',
  '{{=<% %>=}}<%A%>',
  '{{=| |=}}|#A||/A|',
  '{{> partial}}',
  '{{>constructor}}',
  '{{> ../../etc/passwd}}',
  '{{#A}}{{> A}}{{/A}}',
  '{{}}',
  '{{!}}{{ }}',
];

/** Payloads that are not mustache tags at all: they must come out as the same text. */
const TEXT_PAYLOADS: string[] = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal payload of other template engines
  '${7*7}',
  '#{7*7}',
  '*{7*7}',
  '<%= 7*7 %>',
  '<%= process.env %>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal payload of other template engines
  '[[${7*7}]]',
  '{7*7}',
  '{ {constructor} }',
];

describe('template injection', () => {
  let realEnv: NodeJS.ProcessEnv;
  let envReads: PropertyKey[];
  let protoBefore: Record<string, string[]>;
  const canary = `canary-${'7f3a'.repeat(4)}`;
  const protos: Record<string, object> = {
    Object: Object.prototype,
    Function: Function.prototype,
    String: String.prototype,
    Array: Array.prototype,
  };
  const snapshot = () =>
    Object.fromEntries(Object.entries(protos).map(([k, p]) => [k, Reflect.ownKeys(p).map(String).sort()]));

  beforeEach(() => {
    protoBefore = snapshot();
    realEnv = process.env;
    realEnv.MFKB_SSTI_CANARY = canary;
    envReads = [];
    const reads = envReads;
    process.env = new Proxy(realEnv, {
      get(target, key, receiver) {
        reads.push(key);
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        reads.push(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        reads.push('ownKeys');
        return Reflect.ownKeys(target);
      },
    });
  });

  afterEach(() => {
    process.env = realEnv;
    delete realEnv.MFKB_SSTI_CANARY;
    expect(snapshot()).toEqual(protoBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Reflect.get(globalThis, '__sstiMarker')).toBeUndefined();
    expect(envReads).toEqual([]);
  });

  it.each(TAG_PAYLOADS.map((p) => [p.length > 60 ? `${p.slice(0, 60)}…` : p, p]))(
    'in the template, refused: %s',
    (_label, payload) => {
      const check = checkTemplate(payload, defs);
      expect(check.ok).toBe(false);
      expect(check.problems.length).toBeGreaterThan(0);
      for (const values of [{ A: 'x' }, {}] as Record<string, string>[]) {
        const error = throwsValidation(() => renderTemplate(payload, values, { definitions: defs }));
        expect(JSON.stringify(error.issues)).not.toContain(canary);
      }
      expect(() => renderTemplate(payload, { A: 'x' })).toThrow(ValidationError);
    },
  );

  it.each(TEXT_PAYLOADS)('in the template, inert text: %s', (payload) => {
    expect(checkTemplate(payload, defs).ok).toBe(true);
    expect(renderTemplate(payload, { A: 'x' })).toBe(payload);
    expect(renderTemplate(`{{A}}${payload}{{A}}`, { A: 'x' })).toBe(`x${payload}x`);
  });

  it.each([...TAG_PAYLOADS.filter((p) => !p.includes('\n')), ...TEXT_PAYLOADS])(
    'as a value, rendered as inert text: %s',
    (payload) => {
      const out = renderTemplate('X={{A}} Y={{{A}}} {{#A}}Z={{A}}{{/A}}', { A: payload });
      expect(out).toBe(`X=${payload} Y=${payload} Z=${payload}`);
      expect(out).not.toContain(canary);
      // Through validateParameters too: a string parameter keeps it exactly.
      const { values } = validateParameters([{ name: 'A', kind: 'string' }], { A: payload });
      expect(renderTemplate('{{A}}', values)).toBe(payload);
    },
  );

  it('a multi-line payload as a value is refused (a value cannot add lines)', () => {
    expect(() => renderTemplate('{{A}}', { A: HANDLEBARS_RCE })).toThrow(ValidationError);
    expect(() => validateParameters([{ name: 'A', kind: 'string' }], { A: HANDLEBARS_RCE })).toThrow(
      ValidationError,
    );
  });

  it('prototype names given as values or definitions are refused', () => {
    const polluting = JSON.parse('{"__proto__": {"polluted": "yes"}, "A": "x"}') as Record<string, string>;
    expect(throwsValidation(() => renderTemplate('{{A}}', polluting)).issues.map((i) => i.path)).toEqual([
      '__proto__',
    ]);
    expect(() =>
      renderTemplate(
        '{{constructor}}',
        { A: 'x' },
        { definitions: [{ name: 'constructor', kind: 'string' }] },
      ),
    ).toThrow(ValidationError);
  });
});

describe('determinism and cost', () => {
  it('1,000 renders of a 500-line template with 30 parameters give one byte string', () => {
    const names = Array.from({ length: 30 }, (_, i) => `P${String(i + 1).padStart(2, '0')}`);
    const definitions: ParameterDefinitionInput[] = names.map((name, i) =>
      i % 3 === 0
        ? { name, kind: 'dataset' }
        : i % 3 === 1
          ? { name, kind: 'member' }
          : { name, kind: 'string', required: false },
    );
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) {
      const a = names[i % 30]!;
      const b = names[(i * 7 + 3) % 30]!;
      if (i % 25 === 0)
        lines.push(`{{#${b}}}//* OPTIONAL ${b}={{${b}}}{{/${b}}}{{^${b}}}//* NO ${b}{{/${b}}}`);
      else if (i % 2 === 0) lines.push(`//STEP${String(i).padStart(3, '0')} DD DSN={{${a}}},DISP=SHR`);
      else lines.push(`           MOVE '{{{${a}}}}' TO WS-${b}-${i}.`);
    }
    const content = `${lines.join('\n')}\n`;
    expect(checkTemplate(content, definitions).problems).toEqual([]);
    const given: Record<string, string> = {};
    names.forEach((name, i) => {
      if (i % 3 === 0) given[name] = `prod.app${i}.data`;
      else if (i % 3 === 1) given[name] = `mem${i}`;
      else if (i % 2 === 0) given[name] = `value ${i}`;
    });
    const { values } = validateParameters(definitions, given);

    const outputs = new Set<string>();
    const started = performance.now();
    for (let i = 0; i < 1000; i++) outputs.add(renderTemplate(content, values, { definitions }));
    const elapsed = performance.now() - started;

    const compiled = compileTemplate(content, definitions);
    const compiledStarted = performance.now();
    for (let i = 0; i < 1000; i++) outputs.add(compiled.render(values));
    const compiledElapsed = performance.now() - compiledStarted;

    expect(outputs.size).toBe(1);
    const [out] = outputs;
    expect(out?.split('\n')).toHaveLength(501);
    expect(out).toContain('DSN=PROD.APP0.DATA,DISP=SHR');
    expect(out).not.toContain('{{');
    console.info(
      `renderTemplate: ${content.length} chars / 500 lines / 30 parameters → ${(elapsed / 1000).toFixed(3)} ms per render (check + parse + render each time); compileTemplate(…).render → ${(compiledElapsed / 1000).toFixed(3)} ms per render`,
    );
  });
});
