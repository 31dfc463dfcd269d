/** True when `s` has no C0 control character and no DEL (names, labels, ids shown in tables and logs). */
export function noControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}
