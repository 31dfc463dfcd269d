/** A JCL name: 1–8 alphanumeric or national (@ # $) characters, the first not a digit. */
const NAME = /^[A-Za-z@#$][A-Za-z0-9@#$]{0,7}$/;

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** Splits `procstep.ddname` (a DD override/addition) into its parts; plain names have no `procStep`. */
export function splitQualifiedName(name: string): { procStep?: string; name: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { name } : { procStep: name.slice(0, dot), name: name.slice(dot + 1) };
}
