import { CodeAnalysisError } from '../errors.js';
import { keywordParam, parseOperands, valueItems, valueText } from './operands.js';
import type { JclStatement } from './reader.js';
import type { JclInclude } from './types.js';

export interface IncludeEnvironment {
  readonly file: string | undefined;
  readonly maxDepth: number;
  readonly resolveInclude: ((member: string) => string | undefined) | undefined;
  /** Reads a member's text into statements. */
  readonly read: (text: string, member: string) => readonly JclStatement[];
  /** Receives every JCLLIB and INCLUDE met, nested ones included. */
  readonly records: JclInclude[];
}

/**
 * Records `// JCLLIB ORDER=` and `// INCLUDE MEMBER=` statements and replaces each INCLUDE whose member
 * resolves by the member's statements (recursively, refusing cycles and nesting past the limit).
 */
export function expandIncludes(
  statements: readonly JclStatement[],
  env: IncludeEnvironment,
  stack: readonly string[] = [],
): JclStatement[] {
  const out: JclStatement[] = [];
  for (const statement of statements) {
    if (statement.operation !== 'JCLLIB' && statement.operation !== 'INCLUDE') {
      out.push(statement);
      continue;
    }
    const params = parseOperands(statement.operands, { file: env.file, line: statement.line });
    if (statement.operation === 'JCLLIB') {
      const order = keywordParam(params, 'ORDER');
      env.records.push({
        kind: 'JCLLIB',
        line: statement.line,
        order: order ? valueItems(order.value) : [],
        expanded: false,
      });
      continue;
    }
    const memberParam = keywordParam(params, 'MEMBER');
    const member = memberParam ? valueText(memberParam.value, memberParam.raw).toUpperCase() : undefined;
    const text = member === undefined ? undefined : env.resolveInclude?.(member);
    env.records.push({
      kind: 'INCLUDE',
      line: statement.line,
      ...(member === undefined ? {} : { member }),
      expanded: text !== undefined,
    });
    if (text === undefined || member === undefined) continue;
    const where = { file: env.file, line: statement.line };
    if (stack.includes(member)) {
      throw new CodeAnalysisError(
        'PROC_CYCLE',
        `INCLUDE ${[...stack, member].join(' → ')} includes itself`,
        where,
      );
    }
    if (stack.length >= env.maxDepth) {
      throw new CodeAnalysisError('PROC_DEPTH', `INCLUDE nesting deeper than ${env.maxDepth}`, where);
    }
    out.push(...expandIncludes(env.read(text, member), env, [...stack, member]));
  }
  return out;
}
