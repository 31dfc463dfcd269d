declare module '@mainframe-kb/storage-core' {
  interface StorageEvents {
    /** A scan finished: what it added, changed and removed. */
    'code:scanned': {
      repositoryId: string;
      repository: string;
      commit: string | null;
      added: number;
      changed: number;
      removed: number;
    };
    'code:stored': { id: string; path: string; repository: string };
    'code:linked': { id: string; kbEntryId: string; codeFileId: string; linkType: string };
    'code:unlinked': { id: string; kbEntryId: string };
  }
}

export {};
