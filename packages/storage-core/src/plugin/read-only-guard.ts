import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';

const READ_STATEMENT = /^\s*(select|with|explain|values|show)\b/i;
const WRITE_KEYWORD = /\b(insert|update|delete|merge|replace|create|drop|alter|truncate)\b/i;

/**
 * Refuses every statement but reads on a plugin's `ctx.db`. A write there would commit outside the write
 * path: no role check, no audit row, no durable event. Raw SQL is judged by its first keyword (and a CTE by
 * whether it writes), which is all a guard against mistakes needs; plugins are code the store's opener chose.
 */
export class ReadOnlyGuard implements KyselyPlugin {
  constructor(private readonly owner: string) {}

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'SelectQueryNode') return node;
    if (node.kind === 'RawNode') {
      const text = node.sqlFragments.join(' ');
      if (READ_STATEMENT.test(text) && !(/^\s*with\b/i.test(text) && WRITE_KEYWORD.test(text))) return node;
    }
    throw new StorageError(
      StorageErrorCode.FORBIDDEN,
      `plugin '${this.owner}' tried to write through ctx.db (${node.kind}); ctx.db is for reads: write inside ctx.write(operation, (scope) => …) through scope.trx, which checks the role and writes the audit row`,
      { details: { plugin: this.owner, statement: node.kind } },
    );
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}
