import { createHash } from 'node:crypto';
import type { ByteSink } from '../codec-types.js';

/** A ByteSink that hashes what passes through it on the way to `sink`. */
export interface HashingSink extends ByteSink {
  /** The sha256 (hex) of every byte written so far; later writes pass through unhashed. */
  seal(): string;
}

export function hashingSink(sink: ByteSink): HashingSink {
  const hash = createHash('sha256');
  let sealed: string | undefined;
  return {
    async write(chunk) {
      if (sealed === undefined) hash.update(chunk);
      await sink.write(chunk);
    },
    close: () => sink.close(),
    seal() {
      sealed ??= hash.digest('hex');
      return sealed;
    },
  };
}
