import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure, isBackupError } from '../errors/backup-error.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import type { PhysicalBody } from '../manifest/manifest-body.js';
import { readManifest } from '../manifest/manifest-store.js';
import type { Repository } from '../repository/repository.js';
import { PageState } from './page-state.js';

/** Loads a backup's chain (`dependsOn` then itself) and the page state it describes. */
export async function loadPhysicalChain(
  repository: Repository,
  metadata: BackupMetadata,
): Promise<PageState> {
  const ids = [...metadata.dependsOn, metadata.id];
  const bodies: { id: string; body: PhysicalBody }[] = [];
  for (const id of ids) {
    let body: PhysicalBody | Awaited<ReturnType<typeof readManifest>>['body'];
    try {
      ({ body } = await readManifest(repository, id));
    } catch (error) {
      if (id !== metadata.id && isBackupError(error, BackupFailure.OBJECT_MISSING)) {
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.CHAIN_BROKEN,
          `backup ${metadata.id} depends on ${id}, which is missing from the repository`,
          { cause: error, details: { backup: metadata.id, missing: id } },
        );
      }
      throw error;
    }
    if (body.kind !== 'physical') {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.CHAIN_BROKEN,
        `backup ${metadata.id} depends on ${id}, which is not a physical backup`,
      );
    }
    bodies.push({ id, body });
  }
  const state = PageState.fromChain(bodies);
  state.assertComplete(metadata.id);
  return state;
}
