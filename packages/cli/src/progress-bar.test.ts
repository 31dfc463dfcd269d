import { describe, expect, it } from 'vitest';
import { ProgressBar } from './progress-bar.js';

class Sink {
  text = '';
  write(chunk: string) {
    this.text += chunk;
  }
}

describe('ProgressBar', () => {
  it('renders the share done', () => {
    const bar = new ProgressBar(null, 'Load', 4);
    bar.update(1);
    expect(bar.render()).toBe(`Load [${'#'.repeat(8)}${'-'.repeat(22)}]  25% 1/4`);
    bar.update(99);
    expect(bar.render()).toBe(`Load [${'#'.repeat(30)}] 100% 4/4`);
  });

  it('redraws in place, throttled, and always draws the last step', () => {
    const sink = new Sink();
    let now = 0;
    const bar = new ProgressBar(sink, 'Load', 3, () => now);
    bar.tick();
    bar.tick(); // within 50 ms of the previous frame: skipped
    expect(sink.text.split('\r')).toHaveLength(2);
    bar.tick(); // the final step is drawn regardless
    expect(sink.text.split('\r')).toHaveLength(3);
    expect(sink.text.endsWith(`\rLoad [${'#'.repeat(30)}] 100% 3/3\x1b[K`)).toBe(true);
    now = 1000;
    bar.finish();
    expect(sink.text.endsWith('\n')).toBe(true);
  });

  it('draws nothing without a writer', () => {
    const bar = new ProgressBar(null, 'Load', 2);
    bar.tick();
    bar.finish();
    expect(bar.done).toBe(1);
  });

  it('shows the count alone when the total is unknown', () => {
    const bar = new ProgressBar(null, 'Rows', undefined);
    bar.update(1234);
    expect(bar.render()).toBe('Rows 1234');
  });

  it('shows an empty task as complete', () => {
    expect(new ProgressBar(null, 'Load', 0).render()).toContain('100% 0/0');
  });
});
