/** One line of a diff: kept, removed from the old version, or added in the new one. */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
  /** 1-based line in the old version (kept and removed lines). */
  oldLine?: number;
  /** 1-based line in the new version (kept and added lines). */
  newLine?: number;
}

/**
 * The shortest edit script between two texts' lines (Myers' O((N+M)·D) algorithm, with its trace kept to
 * walk the path back): kept lines in order, each removal before the additions that replace it.
 */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v.slice());
  // Walk back from (n, m) through the saved frontiers.
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const frontier = trace[d]!;
    const k = x - y;
    const prevK =
      k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : frontier[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: ' ', text: a[x - 1]!, oldLine: x, newLine: y });
      x--;
      y--;
    }
    if (d === 0) break;
    if (x === prevX) out.push({ op: '+', text: b[y - 1]!, newLine: y });
    else out.push({ op: '-', text: a[x - 1]!, oldLine: x });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    out.push({ op: ' ', text: a[x - 1]!, oldLine: x, newLine: y });
    x--;
    y--;
  }
  return out.reverse();
}

/** A unified diff (`@@ -a,b +c,d @@` hunks with `context` lines around each change). */
export function unifiedDiff(oldText: string, newText: string, labels: [string, string], context = 3): string {
  const lines = diffLines(oldText.split('\n'), newText.split('\n'));
  const changed = lines.map((l, i) => (l.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  let i = 0;
  while (i < changed.length) {
    const start = Math.max(0, changed[i]! - context);
    let end = Math.min(lines.length, changed[i]! + context + 1);
    while (i + 1 < changed.length && changed[i + 1]! - context <= end) {
      i++;
      end = Math.min(lines.length, changed[i]! + context + 1);
    }
    const hunk = lines.slice(start, end);
    const oldStart = hunk.find((l) => l.oldLine !== undefined)?.oldLine ?? 0;
    const newStart = hunk.find((l) => l.newLine !== undefined)?.newLine ?? 0;
    const oldCount = hunk.filter((l) => l.op !== '+').length;
    const newCount = hunk.filter((l) => l.op !== '-').length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const l of hunk) out.push(`${l.op}${l.text}`);
    i++;
  }
  return `${out.join('\n')}\n`;
}
