import { type Storage, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';

/**
 * The part of plugin-patterns' public API this plugin uses, by shape: this package depends on core alone, and
 * reaches incidents only when the store has plugin-patterns enabled.
 */
export interface IncidentView {
  id: string;
  ticketId: string;
  title: string;
  description: string;
  component: string | null;
  status: string;
  createdAt: string;
  resolvedAt: string | null;
  kbEntryId: string | null;
  errorCodes: string[];
}

export interface IncidentsPort {
  getIncident(id: string): Promise<IncidentView>;
  updateIncident(
    id: string,
    update: {
      status?: string;
      kbEntryId?: string | null;
      resolution?: string | null;
      resolvedAt?: string | null;
    },
  ): Promise<IncidentView>;
}

export function incidentsOf(storage: Storage): IncidentsPort {
  if (!storage.plugins.some((p) => p.id === 'patterns')) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      'incidents are kept by plugin-patterns (@mainframe-kb/plugin-patterns), which is not enabled on this store',
      { details: { extension: 'patterns', package: '@mainframe-kb/plugin-patterns' } },
    );
  }
  return storage.plugin('patterns') as unknown as IncidentsPort;
}
