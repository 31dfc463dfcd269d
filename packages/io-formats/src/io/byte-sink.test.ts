import { describe, expect, it } from 'vitest';
import type { ByteSink } from '../codec-types.js';
import { TextSinkWriter } from './byte-sink.js';

/** A sink whose writes settle only when the test lets them, recording what reached it and when. */
function gatedSink(options: { failAt?: number } = {}) {
  const received: string[] = [];
  const gates: (() => void)[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let closed = false;
  const sink: ByteSink = {
    write(chunk) {
      const index = received.length;
      received.push(Buffer.from(chunk).toString('utf8'));
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      return new Promise<void>((resolve, reject) => {
        gates.push(() => {
          inFlight -= 1;
          if (index === options.failAt) reject(new Error(`disk full at chunk ${index}`));
          else resolve();
        });
      });
    },
    async close() {
      closed = true;
    },
  };
  const releaseAll = async () => {
    // Let every write settle as it arrives, until the writer stops handing chunks over.
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const gate = gates.shift();
      if (gate === undefined) return;
      gate();
    }
  };
  return { sink, received, gates, releaseAll, state: () => ({ inFlight, mostInFlight, closed }) };
}

const big = (c: string) => `${c.repeat(300 * 1024)}\n`;

describe('TextSinkWriter', () => {
  it('writes chunks in order with at most one in flight, and flush waits for the last', async () => {
    const s = gatedSink();
    const out = new TextSinkWriter(s.sink);
    // The first chunk is handed over and, while the sink writes it, the writer takes the next records.
    const first = out.write(big('a'));
    const returned = await Promise.race([
      first.then(() => true),
      new Promise((r) => setTimeout(r, 50, false)),
    ]);
    expect(returned).toBe(true);
    expect(s.state().inFlight).toBe(1);
    let flushed = false;
    const writing = (async () => {
      for (const c of 'bcde') await out.write(big(c));
      await out.write('tail é\n');
      await out.flush();
      flushed = true;
    })();
    await new Promise((r) => setImmediate(r));
    // The second chunk waits for the first: never two in flight.
    expect(s.received.length).toBe(1);
    expect(flushed).toBe(false);
    await s.releaseAll();
    await writing;
    expect(s.state().mostInFlight).toBe(1);
    expect(s.received.join('')).toBe(`${[...'abcde'].map(big).join('')}tail é\n`);
    expect(await out.close()).toBe(Buffer.byteLength(s.received.join('')));
    expect(s.state().closed).toBe(true);
  });

  it('throws a failed write at the next write, flush or close, never as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const s = gatedSink({ failAt: 0 });
      const out = new TextSinkWriter(s.sink);
      await out.write(big('a')); // handed over, in flight
      s.gates.shift()?.(); // fails
      await new Promise((r) => setImmediate(r));
      await expect(out.write(big('b'))).rejects.toThrow('disk full at chunk 0');
      await new Promise((r) => setTimeout(r, 10));
      expect(unhandled).toEqual([]);

      const t = gatedSink({ failAt: 0 });
      const other = new TextSinkWriter(t.sink);
      await other.write('small');
      const closing = expect(other.close()).rejects.toThrow('disk full at chunk 0');
      await t.releaseAll();
      await closing;
      expect(t.state().closed).toBe(false);
      await new Promise((r) => setTimeout(r, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('takes a sink whose write returns nothing (written when the call returns)', async () => {
    const got: string[] = [];
    const sink = {
      write(chunk: Uint8Array) {
        got.push(Buffer.from(chunk).toString('utf8'));
      },
      async close() {},
    } as unknown as ByteSink;
    const out = new TextSinkWriter(sink);
    for (const c of 'xy') await out.write(big(c));
    expect(await out.close()).toBe(2 * Buffer.byteLength(big('x')));
    expect(got.join('')).toBe(big('x') + big('y'));
  });
});
