import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, openFixture, sampleEntry } from './support/demo-fixture.js';

let f: Fixture;

beforeEach(async () => {
  f = await openFixture();
});

afterEach(async () => {
  await f.close();
});

interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Reads SSE messages from a response until `until` says stop (or the time runs out). */
async function readEvents(
  response: Response,
  until: (seen: SseMessage[]) => boolean,
  ms = 5_000,
): Promise<SseMessage[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: SseMessage[] = [];
  let buffer = '';
  const deadline = Date.now() + ms;
  try {
    while (!until(seen) && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<{ done: true; value: undefined }>((r) =>
          setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()),
        ),
      ]);
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const message: SseMessage = { event: 'message', data: '' };
        for (const line of buffer.slice(0, cut).split('\n')) {
          if (line.startsWith('id: ')) message.id = line.slice(4);
          else if (line.startsWith('event: ')) message.event = line.slice(7);
          else if (line.startsWith('data: ')) message.data += line.slice(6);
        }
        seen.push(message);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel();
  }
  return seen;
}

const changes = (seen: SseMessage[]) => seen.filter((m) => m.event !== 'ready');

describe('the event stream', () => {
  it('delivers a change made by another client to a viewer, live', async () => {
    const stream = await f.call('viewer', 'GET', '/api/events');
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reading = readEvents(stream, (seen) => changes(seen).length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    const created = await f.json('editor', 'POST', '/api/entries', sampleEntry);
    const seen = changes(await reading);
    expect(seen[0]?.event).toBe('entry:created');
    const event = JSON.parse(seen[0]?.data ?? '{}');
    expect(event.seq).toBe(Number(seen[0]?.id));
    expect(JSON.stringify(event.payload)).toContain(created.body.id);
  });

  it('resumes from Last-Event-ID: the events missed are replayed in order, none twice', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await f.storage.createEntry({ ...sampleEntry, title: `entry ${i}` }));
    const all = [];
    for await (const event of f.storage.replayEvents()) all.push(event);
    const third = all[2]?.seq as number;
    const resumed = await f.call('viewer', 'GET', '/api/events', undefined, {
      'last-event-id': String(third),
    });
    const reading = readEvents(resumed, (seen) => changes(seen).length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    await f.storage.createEntry({ ...sampleEntry, title: 'entry 5' });
    const seen = changes(await reading);
    expect(seen.map((m) => Number(m.id))).toEqual([third + 1, third + 2, (all.at(-1)?.seq as number) + 1]);
    expect(new Set(seen.map((m) => m.id)).size).toBe(seen.length);
  });

  it('refuses a malformed Last-Event-ID and a missing token', async () => {
    const bad = await f.json('viewer', 'GET', '/api/events?after=abc');
    expect(bad).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect((await f.call(null, 'GET', '/api/events')).status).toBe(401);
  });
});
