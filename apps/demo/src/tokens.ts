import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Actor, ConfigError, type Role } from '@mainframe-kb/storage-core';
import { z } from 'zod';

/** One bearer token of the API: who presents it, and with which of core's roles the store acts for them. */
export interface TokenGrant {
  token: string;
  actor: Actor;
}

const grantSchema = z.strictObject({
  token: z.string().min(16, 'a token must be at least 16 characters'),
  id: z.string().min(1).max(128),
  role: z.enum(['viewer', 'editor', 'admin']),
});
const grantsSchema = z.array(grantSchema).min(1, 'the token file grants no token');

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * The server's token table. Tokens are kept as SHA-256 digests and looked up by the digest of what a client
 * presents, so a lookup takes the same time whatever prefix of a real token the client guessed.
 */
export class TokenTable {
  readonly #byDigest = new Map<string, Actor>();

  constructor(grants: readonly TokenGrant[]) {
    for (const grant of grants) {
      const key = digest(grant.token);
      if (this.#byDigest.has(key)) throw new ConfigError('two grants share one token', []);
      this.#byDigest.set(key, Object.freeze({ ...grant.actor }));
    }
  }

  /** The actor of `Authorization: Bearer <token>`, or undefined for a missing, malformed or unknown token. */
  actorOf(authorization: string | undefined): Actor | undefined {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(authorization?.trim() ?? '');
    return match?.[1] === undefined ? undefined : this.#byDigest.get(digest(match[1]));
  }

  get size(): number {
    return this.#byDigest.size;
  }
}

/** Reads a token file: a JSON array of `{ "token", "id", "role" }`. */
export function readTokenFile(file: string): TokenGrant[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`token file ${file}: ${(error as Error).message}`, []);
  }
  const parsed = grantsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ConfigError(
      `token file ${file}: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return parsed.data.map((g) => ({ token: g.token, actor: { id: g.id, role: g.role } }));
}

/** One fresh random token per role, for a demo started without a token file (printed at start). */
export function demoGrants(): TokenGrant[] {
  const roles: Role[] = ['viewer', 'editor', 'admin'];
  return roles.map((role) => ({
    token: `kb_${role}_${randomBytes(18).toString('base64url')}`,
    actor: { id: `demo-${role}`, role },
  }));
}
