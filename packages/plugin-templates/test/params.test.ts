import { ValidationError } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import {
  checkDatasetName,
  checkShortName,
  highLevelQualifier,
  type ParameterDefinitionInput,
  type ParameterSetInput,
  parseParameterSet,
  type ShortNameKind,
  validateParameters,
} from '../src/params/index.js';

/** The issues of the ValidationError `fn` throws (fails the test when it does not throw one). */
function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).issues];
  }
  throw new Error('expected a ValidationError');
}

const one = (def: ParameterDefinitionInput, value: unknown) =>
  validateParameters([def], value === undefined ? {} : { [def.name]: value }).values[def.name];
const problems = (def: ParameterDefinitionInput, value: unknown) =>
  issuesOf(() => one(def, value)).map((i) => i.message);

describe('data set names', () => {
  const q8 = 'ABCDEFGH';
  const exactly44 = [q8, q8, q8, q8, q8].join('.'); // 5 × 8 + 4 dots

  it('accepts 1 to 44 characters, qualifiers of 1 to 8', () => {
    expect(exactly44).toHaveLength(44);
    expect(checkDatasetName(exactly44).problems).toEqual([]);
    expect(checkDatasetName('A').problems).toEqual([]);
    expect(checkDatasetName('SYS1.PROCLIB').problems).toEqual([]);
    expect(checkDatasetName('A1.B-2.C$#@').problems).toEqual([]);
  });

  it('refuses 45 characters, naming the rule', () => {
    const ds45 = [q8, q8, q8, q8, 'ABCDE', 'ABC'].join('.');
    expect(ds45).toHaveLength(45);
    expect(checkDatasetName(ds45).problems).toEqual([
      `data set name '${ds45}' is 45 characters; a data set name holds at most 44`,
    ]);
  });

  it('refuses a qualifier of 9 or more characters', () => {
    expect(checkDatasetName('PROD.PAYROLLMASTER.DATA').problems).toEqual([
      "qualifier 'PAYROLLMASTER' is 13 characters; a qualifier holds at most 8",
    ]);
    expect(checkDatasetName('ABCDEFGHI').problems).toEqual([
      "qualifier 'ABCDEFGHI' is 9 characters; a qualifier holds at most 8",
    ]);
  });

  it('refuses a leading digit or hyphen, bad characters, empty qualifiers', () => {
    expect(checkDatasetName('PROD.1ABC').problems).toEqual([
      "qualifier '1ABC' starts with a digit; a qualifier must start with A–Z, @, # or $",
    ]);
    expect(checkDatasetName('-A.B').problems[0]).toContain("starts with '-'");
    expect(checkDatasetName('A.B_C').problems).toEqual([
      "qualifier 'B_C' contains '_' at position 2; a qualifier holds only A–Z, 0–9, @, #, $ and -",
    ]);
    expect(checkDatasetName('A.B C').problems[0]).toContain('a blank at position 2');
    expect(checkDatasetName('A..B').problems).toEqual([
      "qualifier 2 of 'A..B' is empty; a qualifier holds 1 to 8 characters",
    ]);
    expect(checkDatasetName('A.B.').problems).toHaveLength(1);
    expect(checkDatasetName('.A').problems).toHaveLength(1);
    expect(checkDatasetName('').problems[0]).toContain('is empty');
    expect(checkDatasetName('A.B*').problems[0]).toContain("'*'");
  });

  it('accepts national characters @ # $ anywhere, including first', () => {
    expect(checkDatasetName('@HLQ.#TEMP.$X$.A@#$').problems).toEqual([]);
    expect(checkDatasetName('$').problems).toEqual([]);
  });

  it('lists every rule broken at once', () => {
    const result = checkDatasetName('1PAYROLLMASTER.B%');
    expect(result.problems).toEqual([
      "qualifier '1PAYROLLMASTER' is 14 characters; a qualifier holds at most 8",
      "qualifier '1PAYROLLMASTER' starts with a digit; a qualifier must start with A–Z, @, # or $",
      "qualifier 'B%' contains '%' at position 2; a qualifier holds only A–Z, 0–9, @, #, $ and -",
    ]);
  });

  it('upper-cases ASCII letters only', () => {
    expect(checkDatasetName('sys1.maclib')).toEqual({ normalized: 'SYS1.MACLIB', problems: [] });
    const sharp = checkDatasetName('straße');
    expect(sharp.normalized).toBe('STRAßE');
    expect(sharp.problems[0]).toContain("'ß'");
  });

  it('member syntax only when allowed', () => {
    expect(checkDatasetName('A.B.C(MEMBER)', { allowMember: true }).problems).toEqual([]);
    expect(checkDatasetName('A.B.C(@MEM#1)', { allowMember: true }).problems).toEqual([]);
    expect(checkDatasetName('A.B.C(MEMBER)').problems).toEqual([
      "data set name 'A.B.C(MEMBER)' names a member (MEMBER); this parameter takes no member",
    ]);
    expect(checkDatasetName('A.B(MEMBER123)', { allowMember: true }).problems).toEqual([
      "member name 'MEMBER123' is 9 characters; a member name holds at most 8",
    ]);
    expect(checkDatasetName('A.B(1MEM)', { allowMember: true }).problems[0]).toContain('starts with a digit');
    expect(checkDatasetName('A.B(ME-M)', { allowMember: true }).problems[0]).toContain("'-' at position 3");
    expect(checkDatasetName('A.B()', { allowMember: true }).problems[0]).toContain('member name is empty');
    expect(checkDatasetName('A.B(MEM', { allowMember: true }).problems[0]).toContain('unbalanced');
    expect(checkDatasetName('A.B(M)X', { allowMember: true }).problems[0]).toContain('unbalanced');
    expect(checkDatasetName('A.B((M))', { allowMember: true }).problems[0]).toContain('unbalanced');
    // 44 characters before the member is fine; the member does not count.
    expect(checkDatasetName(`${exactly44}(MEMBER)`, { allowMember: true }).problems).toEqual([]);
  });

  it('GDG relative generations only when allowed', () => {
    for (const gen of ['(+1)', '(0)', '(-1)', '(+255)', '(-999)']) {
      expect(checkDatasetName(`PROD.DAILY.GDG${gen}`, { allowGdg: true }).problems).toEqual([]);
    }
    expect(checkDatasetName('PROD.DAILY(+1)').problems).toEqual([
      "data set name 'PROD.DAILY(+1)' names a generation (+1); this parameter takes no GDG generation",
    ]);
    for (const gen of ['(1)', '(+0)', '(-0)', '(+01)', '(+1000)', '(00)']) {
      expect(checkDatasetName(`A.B${gen}`, { allowGdg: true }).problems[0]).toContain(
        'write (0), (+n) or (-n)',
      );
    }
    // The GDG base holds at most 35 characters (z/OS appends .GnnnnVnn).
    const base35 = 'ABCDEFGH.ABCDEFGH.ABCDEFGH.ABCDEFGH';
    expect(base35).toHaveLength(35);
    expect(checkDatasetName(`${base35}(+1)`, { allowGdg: true }).problems).toEqual([]);
    expect(checkDatasetName(`${base35}.X(+1)`, { allowGdg: true }).problems).toEqual([
      `GDG base name '${base35}.X' is 37 characters; a GDG base holds at most 35 (z/OS appends .GnnnnVnn)`,
    ]);
    // The same name without a generation is an ordinary data set name.
    expect(checkDatasetName(`${base35}.X`, { allowGdg: true }).problems).toEqual([]);
    // Member syntax is not taken for a generation and vice versa.
    expect(checkDatasetName('A.B(+1)', { allowMember: true }).problems[0]).toContain('takes no GDG');
    expect(checkDatasetName('A.B(MEM)', { allowGdg: true }).problems[0]).toContain('takes no member');
    expect(checkDatasetName('A.B(MEM)', { allowGdg: true, allowMember: true }).problems).toEqual([]);
  });

  it('high-level qualifier', () => {
    expect(highLevelQualifier('prod.a.b(+1)')).toBe('PROD');
    expect(highLevelQualifier('PROD')).toBe('PROD');
  });
});

describe('short names: member, program, ddname, jobname, qualifier', () => {
  const kinds: ShortNameKind[] = ['member', 'program', 'ddname', 'jobname', 'qualifier'];

  it.each(kinds)('%s: 1–8 characters, national characters, no leading digit', (kind) => {
    for (const ok of ['A', 'ABCDEFGH', '@', '#1', '$$$$$$$$', 'a1b2c3', 'Z9@#$']) {
      expect(checkShortName(ok, kind).problems, ok).toEqual([]);
    }
    expect(checkShortName('abc', kind).normalized).toBe('ABC');
    expect(checkShortName('ABCDEFGHI', kind).problems).toHaveLength(1);
    expect(checkShortName('ABCDEFGHI', kind).problems[0]).toMatch(/is 9 characters; a .+ holds at most 8$/);
    expect(checkShortName('1ABC', kind).problems[0]).toContain('starts with a digit');
    expect(checkShortName('', kind).problems[0]).toContain('is empty');
    expect(checkShortName('A.B', kind).problems[0]).toContain("'.' at position 2");
    expect(checkShortName(' A', kind).problems[0]).toContain('starts with a blank');
  });

  it('only a qualifier takes a hyphen', () => {
    expect(checkShortName('A-B', 'qualifier').problems).toEqual([]);
    expect(checkShortName('A-B', 'member').problems).toEqual([
      "member name 'A-B' contains '-' at position 2; a member name holds only A–Z, 0–9, @, # and $",
    ]);
    expect(checkShortName('A-B', 'ddname').problems[0]).toContain('DD name');
    expect(checkShortName('A-B', 'jobname').problems[0]).toContain('job name');
    expect(checkShortName('A-B', 'program').problems[0]).toContain('program name');
  });

  it('through validateParameters: upper-cased', () => {
    expect(one({ name: 'P', kind: 'program' }, 'iefbr14')).toBe('IEFBR14');
    expect(one({ name: 'D', kind: 'ddname' }, 'sysut1')).toBe('SYSUT1');
    expect(one({ name: 'J', kind: 'jobname' }, 'payjob1')).toBe('PAYJOB1');
    expect(problems({ name: 'M', kind: 'member' }, 'TOOLONGNAME')).toEqual([
      "member name 'TOOLONGNAME' is 11 characters; a member name holds at most 8",
    ]);
    expect(problems({ name: 'M', kind: 'member' }, 42)).toEqual([
      'expected a member name (text), got a number',
    ]);
  });
});

describe('string, integer, boolean, enum', () => {
  it('string: lengths, pattern anchored, kept exactly', () => {
    const def: ParameterDefinitionInput = { name: 'S', kind: 'string', minLength: 2, maxLength: 5 };
    expect(one(def, ' ab ')).toBe(' ab ');
    expect(problems(def, 'a')).toEqual(['value is 1 characters; at least 2 required']);
    expect(problems(def, 'abcdef')).toEqual(['value is 6 characters; at most 5 allowed']);
    const pat: ParameterDefinitionInput = { name: 'S', kind: 'string', pattern: '[A-Z]{3}[0-9]' };
    expect(one(pat, 'ABC1')).toBe('ABC1');
    expect(problems(pat, 'xABC1')).toEqual(["'xABC1' does not match the pattern [A-Z]{3}[0-9]"]);
    expect(problems(pat, 'ABC1x')).toHaveLength(1);
    expect(problems(pat, 'A'.repeat(300))[0]).toContain(
      'a value checked against a pattern holds at most 256',
    );
    expect(problems({ name: 'S', kind: 'string' }, 'x'.repeat(5000))[0]).toContain('at most 4096');
  });

  it('string: line breaks and control characters are refused (no JCL injection)', () => {
    const def: ParameterDefinitionInput = { name: 'S', kind: 'string' };
    expect(problems(def, 'A\n//EVIL    EXEC PGM=IEFBR14')[0]).toContain(
      'control character U+000A at position 2',
    );
    expect(problems(def, 'A\tB')[0]).toContain('U+0009');
    expect(problems(def, 'A\rB')[0]).toContain('U+000D');
    expect(problems(def, 'A\u2028B')[0]).toContain('U+2028');
    expect(problems(def, 'A\u0085B')[0]).toContain('U+0085');
  });

  it('string: a pattern must compile, be at most 200 characters, and not backtrack catastrophically', () => {
    const bad = (pattern: string) =>
      issuesOf(() => parseParameterSet([{ name: 'S', kind: 'string', pattern }])).map((i) => i.message);
    expect(bad('[A-Z')[0]).toContain('pattern does not compile');
    expect(bad('A'.repeat(201))).toEqual(['pattern is 201 characters; a pattern holds at most 200']);
    for (const evil of ['(A+)+', '(A*)*B', '(A|AB)*', '([A-Z]+\\.)+', '(A?){2,}', '((AB)+)*', '(A)\\1']) {
      expect(bad(evil), evil).toHaveLength(1);
    }
    for (const fine of ['[A-Z]+', '(ABC)+', '(A|B)', '(A+)?', '[(]+', '\\(A+\\)+', '(?:AB){1,3}X+']) {
      expect(() => parseParameterSet([{ name: 'S', kind: 'string', pattern: fine }]), fine).not.toThrow();
    }
  });

  it('integer: numbers or decimal text, bounds', () => {
    const def: ParameterDefinitionInput = { name: 'N', kind: 'integer', min: 1, max: 255 };
    expect(one(def, 10)).toBe(10);
    expect(one(def, '+42')).toBe(42);
    expect(problems(def, 0)).toEqual(['0 is less than the minimum 1']);
    expect(problems(def, 256)).toEqual(['256 is greater than the maximum 255']);
    expect(problems(def, 1.5)).toEqual(['1.5 is not a safe integer']);
    expect(problems(def, '1e3')).toEqual(["expected an integer, got a string '1e3'"]);
    expect(problems(def, true)).toEqual(['expected an integer, got a boolean']);
    expect(problems({ name: 'N', kind: 'integer' }, 2 ** 60)[0]).toContain('not a safe integer');
  });

  it('boolean: true/false or their text', () => {
    const def: ParameterDefinitionInput = { name: 'B', kind: 'boolean' };
    expect(one(def, false)).toBe(false);
    expect(one(def, 'true')).toBe(true);
    expect(problems(def, 'yes')).toEqual(['expected a boolean (true or false), got a string']);
    expect(problems(def, 1)).toEqual(['expected a boolean (true or false), got a number']);
  });

  it('enum: exact values', () => {
    const def: ParameterDefinitionInput = { name: 'DISP', kind: 'enum', values: ['SHR', 'OLD', 'MOD'] };
    expect(one(def, 'SHR')).toBe('SHR');
    expect(problems(def, 'shr')).toEqual(["'shr' is not one of 'SHR', 'OLD', 'MOD'"]);
    expect(
      issuesOf(() => parseParameterSet([{ name: 'E', kind: 'enum', values: ['A', 'A'] }]))[0]?.message,
    ).toBe("'A' is listed twice");
  });
});

describe('definitions', () => {
  it('required defaults to true; defaults applied and normalised; optional stays absent', () => {
    const set = parseParameterSet([{ name: 'A', kind: 'string' }]);
    expect(set.parameters[0]?.required).toBe(true);
    expect(set.rules).toEqual([]);
    const { values } = validateParameters(
      [
        { name: 'HLQ', kind: 'qualifier', default: 'prod' },
        { name: 'OPT', kind: 'string', required: false },
        { name: 'N', kind: 'integer', default: 3 },
      ],
      { N: null },
    );
    expect({ ...values }).toEqual({ HLQ: 'PROD', N: 3 });
    expect(Object.getPrototypeOf(values)).toBeNull();
  });

  it('refuses bad definitions, naming each field', () => {
    const issues = issuesOf(() =>
      parseParameterSet({
        parameters: [
          { name: '1BAD', kind: 'string' },
          { name: '__proto__', kind: 'string' },
          { name: 'OK', kind: 'string', maxlength: 3 },
          { name: 'D', kind: 'dataset', default: 'PAYROLLMASTER.X' },
          { name: 'E', kind: 'enum', values: ['A'], default: 'B' },
          { name: 'N', kind: 'integer', min: 5, max: 1, default: 9 },
          { name: 'S', kind: 'string', minLength: 3, maxLength: 2 },
          { name: 'X'.repeat(65), kind: 'boolean' },
        ],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'definitions.parameters.0.name',
      'definitions.parameters.1.name',
      'definitions.parameters.2.maxlength',
      'definitions.parameters.5.min',
      'definitions.parameters.6.minLength',
      'definitions.parameters.7.name',
      // Defaults are checked against their own definitions, in the same pass.
      'definitions.parameters.3.default',
      'definitions.parameters.4.default',
      'definitions.parameters.5.default',
    ]);
    const withDefaults = issuesOf(() =>
      parseParameterSet([
        { name: 'D', kind: 'dataset', default: 'PAYROLLMASTER.X' },
        { name: 'E', kind: 'enum', values: ['A'], default: 'B' },
        { name: 'N', kind: 'integer', max: 1, default: 9 },
        { name: 'd', kind: 'string' },
        { name: 'N', kind: 'string' },
      ]),
    );
    expect(withDefaults).toEqual([
      {
        path: 'definitions.parameters.0.default',
        message: expect.stringContaining("qualifier 'PAYROLLMASTER'"),
      },
      { path: 'definitions.parameters.1.default', message: "default 'B' is not one of 'A'" },
      { path: 'definitions.parameters.2.default', message: 'default 9 is greater than the maximum 1' },
      {
        path: 'definitions.parameters.3.name',
        message: "parameter 'd' differs from 'D' only by case; names must differ regardless of case",
      },
      { path: 'definitions.parameters.4.name', message: "parameter 'N' is defined twice" },
    ]);
  });

  it('rules must name declared parameters of the right kind', () => {
    const issues = issuesOf(() =>
      parseParameterSet({
        parameters: [
          { name: 'IN', kind: 'dataset' },
          { name: 'F', kind: 'boolean' },
        ],
        rules: [
          { rule: 'differs', params: ['IN', 'OUT'] },
          { rule: 'sameHighLevelQualifier', params: ['IN', 'F'] },
          { rule: 'maxTotalLength', params: ['F'], max: 10 },
          { rule: 'atMostOne', params: ['IN', 'IN'] },
        ],
      }),
    );
    expect(issues).toEqual([
      { path: 'definitions.rules.0.params.1', message: "rule differs names 'OUT', which is not a parameter" },
      {
        path: 'definitions.rules.1.params.1',
        message: "rule sameHighLevelQualifier applies to dataset and qualifier parameters; 'F' is a boolean",
      },
      {
        path: 'definitions.rules.2.params.0',
        message: "rule maxTotalLength applies to text and integer parameters; 'F' is a boolean",
      },
      { path: 'definitions.rules.3.params.1', message: "'IN' is listed twice" },
    ]);
    expect(
      issuesOf(() => parseParameterSet({ parameters: [], rules: [{ rule: 'sometimes', params: [] }] }))[0]
        ?.path,
    ).toBe('definitions.rules.0.rule');
  });
});

describe('validateParameters', () => {
  const set: ParameterSetInput = {
    parameters: [
      { name: 'IN', kind: 'dataset', description: 'input' },
      { name: 'OUT', kind: 'dataset', allowGdg: true },
      { name: 'LIB', kind: 'dataset', allowMember: true, required: false },
      { name: 'STEP', kind: 'ddname', default: 'STEP01' },
      { name: 'LRECL', kind: 'integer', min: 1, max: 32760 },
      { name: 'DISP', kind: 'enum', values: ['SHR', 'OLD'], default: 'SHR' },
      { name: 'HLQ', kind: 'qualifier', required: false },
      { name: 'APP', kind: 'qualifier', required: false },
      { name: 'VOL', kind: 'string', required: false },
      { name: 'UNIT', kind: 'string', required: false },
    ],
    rules: [
      { rule: 'differs', params: ['IN', 'OUT'] },
      { rule: 'sameHighLevelQualifier', params: ['IN', 'OUT'] },
      { rule: 'maxTotalLength', params: ['HLQ', 'APP'], separator: '.', max: 12 },
      { rule: 'allOrNone', params: ['HLQ', 'APP'] },
      { rule: 'atMostOne', params: ['VOL', 'UNIT'] },
    ],
  };

  it('returns normalised values with defaults', () => {
    const { values } = validateParameters(set, {
      IN: 'prod.pay.in',
      OUT: 'Prod.Pay.Out(+1)',
      LIB: 'prod.load(paypgm)',
      LRECL: '80',
      HLQ: 'prod',
      APP: 'pay',
      VOL: 'VOL001',
    });
    expect({ ...values }).toEqual({
      IN: 'PROD.PAY.IN',
      OUT: 'PROD.PAY.OUT(+1)',
      LIB: 'PROD.LOAD(PAYPGM)',
      STEP: 'STEP01',
      LRECL: 80,
      DISP: 'SHR',
      HLQ: 'PROD',
      APP: 'PAY',
      VOL: 'VOL001',
    });
  });

  it('lists every problem at once: missing, wrong type, kind rules, unknown parameters, rules', () => {
    const issues = issuesOf(() =>
      validateParameters(set, {
        OUT: 'PROD.PAYROLLMASTER.X',
        LIB: 'A.B',
        LRECL: 'eighty',
        DISP: 'NEW',
        HLQ: 'PRODUCTN',
        APP: 'PAYROLL',
        VOL: 'V1',
        UNIT: 'SYSDA',
        in: 'A.B',
        EXTRA: 1,
      }),
    );
    expect(issues).toEqual([
      { path: 'IN', message: 'required parameter IN is missing' },
      { path: 'OUT', message: "qualifier 'PAYROLLMASTER' is 13 characters; a qualifier holds at most 8" },
      { path: 'LRECL', message: "expected an integer, got a string 'eighty'" },
      { path: 'DISP', message: "'NEW' is not one of 'SHR', 'OLD'" },
      { path: 'in', message: "unknown parameter 'in'; did you mean IN?" },
      {
        path: 'EXTRA',
        message:
          "unknown parameter 'EXTRA'; the template declares IN, OUT, LIB, STEP, LRECL, DISP, HLQ, APP, VOL, UNIT",
      },
      { path: 'rules.2', message: "HLQ, APP joined by '.' make 16 characters; at most 12 allowed" },
      { path: 'rules.4', message: 'give at most one of VOL, UNIT; 2 given: VOL, UNIT' },
    ]);
    // A JSON-parsed `__proto__` key is an own property: an unknown parameter like any other.
    const json = issuesOf(() => validateParameters(set, JSON.parse('{"__proto__": "x", "constructor": 1}')));
    expect(json.map((i) => i.path)).toEqual(['IN', 'OUT', 'LRECL', '__proto__', 'constructor']);
  });

  it('rules: differs, sameHighLevelQualifier, allOrNone', () => {
    const base = { LRECL: 80 };
    expect(issuesOf(() => validateParameters(set, { ...base, IN: 'A.B', OUT: 'a.b' }))).toEqual([
      { path: 'rules.0', message: "IN and OUT must differ; both are 'A.B'" },
    ]);
    expect(issuesOf(() => validateParameters(set, { ...base, IN: 'PROD.B', OUT: 'TEST.B' }))).toEqual([
      {
        path: 'rules.1',
        message: 'IN, OUT must share one high-level qualifier; found PROD (IN), TEST (OUT)',
      },
    ]);
    expect(issuesOf(() => validateParameters(set, { ...base, IN: 'A.B', OUT: 'A.C', HLQ: 'X' }))).toEqual([
      { path: 'rules.3', message: 'give all of HLQ, APP or none; HLQ given, APP missing' },
    ]);
    // A rule skips a parameter that is wrong already (its own problem is reported once).
    expect(
      issuesOf(() => validateParameters(set, { ...base, IN: 'A.B', OUT: '1.B' })).map((i) => i.path),
    ).toEqual(['OUT']);
  });

  it('refuses values that are not an object; an empty set takes an empty object', () => {
    expect(issuesOf(() => validateParameters([], null))).toEqual([
      { path: '', message: 'expected an object of name → value' },
    ]);
    expect(issuesOf(() => validateParameters([], ['A']))).toHaveLength(1);
    expect({ ...validateParameters([], {}).values }).toEqual({});
    expect(issuesOf(() => validateParameters([], { A: 1 }))[0]?.message).toBe(
      "unknown parameter 'A'; the template declares no parameters",
    );
  });

  it('the error message lists the problems', () => {
    try {
      validateParameters([{ name: 'A', kind: 'member' }], { A: '9', B: 1 });
    } catch (error) {
      expect((error as Error).message).toBe(
        "Invalid template parameters (2 problems): A: member name '9' starts with a digit; a member name must start with A–Z, @, # or $; B: unknown parameter 'B'; the template declares A",
      );
      return;
    }
    throw new Error('expected a throw');
  });
});
