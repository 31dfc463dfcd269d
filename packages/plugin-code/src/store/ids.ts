import { createHash } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/**
 * Ids of repositories and files follow from what names them (a repository's name; a file's repository and
 * path), so that a scan, `storeCodeAnalysis` and an import of the same file agree on its row without reading
 * the store first (an importer runs inside the import's transaction and cannot).
 */
export function repositoryIdOf(name: string): string {
  return `repo-${digest(`code_repositories\u0000${name}`)}`;
}

export function fileIdOf(repositoryId: string, path: string): string {
  return `file-${digest(`code_files\u0000${repositoryId}\u0000${path}`)}`;
}
