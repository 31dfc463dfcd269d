import type { JclDataset, JclDatasetUse, JclDd, JclExpandedStep, JclProgram } from './types.js';

/** Every distinct data set name (referbacks `*.step.dd` excluded) with the steps and DISPs using it. */
export function collectDatasets(steps: readonly JclExpandedStep[]): JclDataset[] {
  const uses = new Map<string, JclDatasetUse[]>();
  const record = (step: JclExpandedStep, ddName: string, dd: JclDd) => {
    if (dd.dsn === undefined || dd.dsn === '' || dd.dsn.startsWith('*.')) return;
    const list = uses.get(dd.dsn) ?? [];
    list.push({ step: step.qualifiedName, dd: ddName, ...(dd.disp ? { disp: dd.disp } : {}), line: dd.line });
    uses.set(dd.dsn, list);
  };
  for (const step of steps) {
    for (const dd of step.dds) {
      const ddName = dd.procStep === undefined ? (dd.name ?? '') : `${dd.procStep}.${dd.name}`;
      record(step, ddName, dd);
      for (const concatenated of dd.concatenation) record(step, ddName, concatenated);
    }
  }
  return [...uses].map(([dsn, list]) => ({ dsn, temporary: dsn.startsWith('&&'), uses: list }));
}

/** Every program executed (`EXEC PGM=`, referbacks excluded) with the steps executing it. */
export function collectPrograms(steps: readonly JclExpandedStep[]): JclProgram[] {
  const programs = new Map<string, string[]>();
  for (const step of steps) {
    if (step.program === undefined || step.program.startsWith('*.')) continue;
    const list = programs.get(step.program) ?? [];
    list.push(step.qualifiedName);
    programs.set(step.program, list);
  }
  return [...programs].map(([name, list]) => ({ name, steps: list }));
}
