import type { JclIssue, JclIssueCode } from './types.js';

/** Collects warnings once each (a PROC expanded twice reports its own problems once). */
export class Diagnostics {
  private readonly seen = new Set<string>();
  readonly issues: JclIssue[] = [];

  warn(code: JclIssueCode, message: string, line: number | undefined, member?: string): void {
    const key = `${code}|${line}|${member}|${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push({
      code,
      message,
      ...(line === undefined ? {} : { line }),
      ...(member === undefined ? {} : { member }),
    });
  }
}
