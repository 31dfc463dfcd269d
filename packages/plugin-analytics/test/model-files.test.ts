import { createHash } from 'node:crypto';
import type { Storage } from '@mainframe-kb/storage-core';
import { availableTestStores, rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsPlugin } from '../src/index.js';

// Model files in and out of the store on every dialect: streamed in pieces of any size, read back byte for
// byte and checked; a corrupted, truncated or tampered model is refused with INTEGRITY, and a refused write
// leaves nothing behind.

/** Deterministic bytes: `size` of them, from a counter hashed in blocks. */
function bytesOf(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let filled = 0;
  for (let i = 0; filled < size; i++) {
    const block = createHash('sha256').update(`${seed}:${i}`).digest();
    filled += block.copy(out, filled, 0, Math.min(block.length, size - filled));
  }
  return out;
}

/** The bytes in uneven pieces, as a stream would deliver them. */
async function* pieces(bytes: Buffer): AsyncGenerator<Uint8Array> {
  const sizes = [1, 7, 65_536, 300_001, 1_048_575, 2_000_000];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const target of availableTestStores()) {
  describe.skipIf(!target.stores)(
    `analytics models on ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`,
    () => {
      let storage: Storage;
      beforeAll(async () => {
        storage = await target.stores!.open(
          { mvp: { extensions: [{ id: 'analytics', options: { chunkBytes: 256 * 1024 } }] } },
          { plugins: [analyticsPlugin, rawAccessPlugin] },
        );
      });
      afterAll(async () => {
        await storage?.close();
        await target.stores?.cleanup();
      });

      it('writes a model streamed in uneven pieces and reads back the same bytes, verified', async () => {
        const api = storage.plugin(analyticsPlugin);
        const bytes = bytesOf(3 * 1024 * 1024 + 12_345, 'model-a');
        const model = await api.saveModel(
          {
            modelType: 'recommender',
            version: '1.0.0',
            checksum: sha(bytes),
            trainingMetadata: { epochs: 3 },
          },
          pieces(bytes),
        );
        expect(model).toMatchObject({ sizeBytes: bytes.length, checksum: sha(bytes), stage: 'candidate' });
        expect(model.chunkCount).toBe(Math.ceil(bytes.length / (256 * 1024)));
        const back = await readAll(await api.readModel('recommender@1.0.0'));
        expect(back.equals(bytes)).toBe(true);
        expect(await api.verifyModel(model.id)).toMatchObject({ ok: true });
        // Empty and one-byte files are files too.
        const empty = await api.saveModel({ modelType: 'recommender', version: 'empty' }, new Uint8Array());
        expect(empty).toMatchObject({ sizeBytes: 0, chunkCount: 0, checksum: sha(new Uint8Array()) });
        expect((await readAll(await api.readModel(empty.id))).length).toBe(0);
      });

      it('refuses a wrong checksum, an oversize file and a duplicate version, storing nothing', async () => {
        const api = storage.plugin(analyticsPlugin);
        const before = (await api.listModels()).length;
        const bytes = bytesOf(700_000, 'model-b');
        await expect(
          api.saveModel({ modelType: 'forecaster', version: '1', checksum: 'a'.repeat(64) }, pieces(bytes)),
        ).rejects.toMatchObject({ code: 'INTEGRITY' });
        await expect(
          api.saveModel({ modelType: 'recommender', version: '1.0.0' }, bytes),
        ).rejects.toMatchObject({ code: 'CONFLICT' });
        await expect(api.saveModel({ modelType: 'bad type!', version: '1' }, bytes)).rejects.toMatchObject({
          code: 'VALIDATION',
        });
        // A 'text' is iterable, by characters, not bytes: refused as well.
        for (const source of [null, 42, 'text'] as never[]) {
          await expect(
            api.saveModel({ modelType: 'forecaster', version: '9' }, source),
          ).rejects.toMatchObject({
            code: 'VALIDATION',
          });
        }
        expect((await api.listModels()).length).toBe(before);
        const chunks = await rawDb(storage)
          .selectFrom('ml_model_chunks')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst();
        const expected = (await api.listModels()).reduce((s, m) => s + m.chunkCount, 0);
        expect(Number(chunks?.n)).toBe(expected);
      });

      it('refuses a model over the configured size limit', async () => {
        const small = await target.stores!.open(
          {
            mvp: {
              extensions: [{ id: 'analytics', options: { maxModelBytes: 100_000, chunkBytes: 65_536 } }],
            },
          },
          { plugins: [analyticsPlugin] },
        );
        try {
          const api = small.plugin(analyticsPlugin);
          await expect(
            api.saveModel({ modelType: 'm', version: '1' }, pieces(bytesOf(100_001, 'c'))),
          ).rejects.toThrow(/100,000-byte limit/);
          expect(await api.listModels()).toEqual([]);
          await api.saveModel({ modelType: 'm', version: '1' }, bytesOf(100_000, 'c'));
        } finally {
          await small.close();
        }
      });

      it('refuses a corrupted chunk before handing out its bytes, and a truncated model', async () => {
        const api = storage.plugin(analyticsPlugin);
        const bytes = bytesOf(600_000, 'model-d');
        const model = await api.saveModel({ modelType: 'tamper', version: '1' }, bytes);
        const db = rawDb(storage);
        const second = await db
          .selectFrom('ml_model_chunks')
          .select('data')
          .where('model_id', '=', model.id)
          .where('seq', '=', 1)
          .executeTakeFirstOrThrow();
        const flipped = Buffer.from(second.data as Uint8Array);
        flipped[100] = flipped[100]! ^ 0xff;
        await db
          .updateTable('ml_model_chunks')
          .set({ data: flipped })
          .where('model_id', '=', model.id)
          .where('seq', '=', 1)
          .execute();
        const handed: Buffer[] = [];
        await expect(
          (async () => {
            for await (const chunk of await api.readModel(model.id)) handed.push(Buffer.from(chunk));
          })(),
        ).rejects.toMatchObject({
          code: 'INTEGRITY',
          message: expect.stringMatching(/chunk 1 does not match/),
        });
        expect(handed.length).toBe(1);
        expect(await api.verifyModel(model.id)).toMatchObject({
          ok: false,
          problem: expect.stringMatching(/corrupt/),
        });

        // Both the chunk and its checksum rewritten: the whole file's checksum still tells.
        const digest = createHash('sha256').update(flipped).digest('hex');
        await db
          .updateTable('ml_model_chunks')
          .set({ checksum: digest })
          .where('model_id', '=', model.id)
          .where('seq', '=', 1)
          .execute();
        expect(await api.verifyModel(model.id)).toMatchObject({
          ok: false,
          problem: expect.stringMatching(/file hashes to/),
        });

        // The last chunk gone.
        await db
          .deleteFrom('ml_model_chunks')
          .where('model_id', '=', model.id)
          .where('seq', '=', 2)
          .execute();
        expect(await api.verifyModel(model.id)).toMatchObject({
          ok: false,
          problem: expect.stringMatching(/chunk 2 of 3 is missing/),
        });
      });

      it('promotes a version to production and retires the previous one', async () => {
        const api = storage.plugin(analyticsPlugin);
        const v1 = await api.saveModel(
          { modelType: 'stage', version: '1', stage: 'production' },
          bytesOf(10, 's1'),
        );
        expect(v1.stage).toBe('production');
        const v2 = await api.saveModel({ modelType: 'stage', version: '2' }, bytesOf(10, 's2'));
        const promoted = await api.setModelStage('stage@2', 'production');
        expect(promoted.retired).toEqual([v1.id]);
        expect((await api.getModel(v1.id)).stage).toBe('retired');
        expect((await api.listModels({ modelType: 'stage', stage: 'production' })).map((m) => m.id)).toEqual([
          v2.id,
        ]);
        await expect(api.setModelStage('stage@2', 'gone' as never)).rejects.toMatchObject({
          code: 'VALIDATION',
        });
        await expect(api.getModel('stage@9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('keeps a training dataset frozen and tells when its members were changed', async () => {
        const api = storage.plugin(analyticsPlugin);
        const ds = await api.createDataset({
          name: 'incidents-2026-q3',
          entity: 'incident',
          members: [
            { id: 'i1', split: 'train', label: 'e1' },
            { id: 'i2', split: 'test', label: 'e2' },
            { id: 'i3' },
          ],
        });
        expect(ds.memberCount).toBe(3);
        await expect(
          api.createDataset({ name: 'incidents-2026-q3', entity: 'incident', members: [{ id: 'x' }] }),
        ).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        const model = await api.saveModel(
          { modelType: 'trained', version: '1', dataset: 'incidents-2026-q3' },
          bytesOf(5, 't'),
        );
        expect(model.datasetId).toBe(ds.id);
        await expect(api.deleteDataset(ds.id)).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await api.getDataset(ds.name)).toMatchObject({ intact: true });
        await rawDb(storage)
          .updateTable('training_dataset_members')
          .set({ label: 'e9' })
          .where('dataset_id', '=', ds.id)
          .where('seq', '=', 1)
          .execute();
        expect(await api.getDataset(ds.name)).toMatchObject({ intact: false });
      });
    },
  );
}
