/**
 * The statement nesting stack of the procedure walker, with every operation amortised O(1) so a
 * pathological source (thousands of IFs, END- words that close nothing) stays linear.
 */
import type { ConditionKind } from './analysis-types.js';

export interface Scope {
  /** IF, EVALUATE, SEARCH, PERFORM or the verb owning a conditional phrase. */
  kind: string;
  /** EVALUATE subject when it is a tracked field. */
  subject?: { name: string; kind: ConditionKind };
}

export class ScopeStack {
  private readonly scopes: Scope[] = [];
  private readonly open = new Map<string, number>();
  /** Positions of the EVALUATE / SEARCH scopes in `scopes`, innermost last. */
  private readonly selections: number[] = [];

  get depth(): number {
    return this.scopes.length;
  }

  push(scope: Scope): void {
    if (scope.kind === 'EVALUATE' || scope.kind === 'SEARCH') this.selections.push(this.scopes.length);
    this.scopes.push(scope);
    this.open.set(scope.kind, (this.open.get(scope.kind) ?? 0) + 1);
  }

  /** Closes the innermost scope of `kind` and every scope inside it; does nothing when none is open. */
  close(kind: string): void {
    if (!this.open.get(kind)) return;
    while (this.pop()?.kind !== kind) {
      // pop until the scope of `kind` is removed
    }
  }

  /** A period closes everything. */
  clear(): void {
    this.scopes.length = 0;
    this.selections.length = 0;
    this.open.clear();
  }

  /** The innermost open EVALUATE or SEARCH. */
  selection(): Scope | undefined {
    const index = this.selections[this.selections.length - 1];
    return index === undefined ? undefined : this.scopes[index];
  }

  private pop(): Scope | undefined {
    const scope = this.scopes.pop();
    if (!scope) return undefined;
    this.open.set(scope.kind, this.open.get(scope.kind)! - 1);
    if (this.selections[this.selections.length - 1] === this.scopes.length) this.selections.pop();
    return scope;
  }
}
