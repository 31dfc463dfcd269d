import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type StorageConfigInput } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupScheduler, backupPlugin, CronExpression, isTimeZone } from '../src/index.js';

const iso = (d: Date) => d.toISOString();

/** The UTC instants a scheduler with one cron tier runs at, driven every 15 minutes from `from` to `to`. */
async function runsBetween(cron: string, timezone: string | undefined, from: string, to: string) {
  let now = new Date(from);
  const scheduler = new BackupScheduler({
    tiers: [{ type: 'full', cron }],
    ...(timezone ? { timezone } : {}),
    run: async () => undefined,
    now: () => now,
  });
  while (now.getTime() <= Date.parse(to)) {
    await scheduler.runDue(now);
    now = new Date(now.getTime() + 15 * 60_000);
  }
  return scheduler.history.map((run) => iso(run.at));
}

describe('CronExpression (croner)', () => {
  it('finds the next matching minute, in UTC by default', () => {
    const at = new Date('2026-11-28T17:32:10Z');
    const next = (expression: string) => iso(new CronExpression(expression).next(at));
    expect(next('*/15 * * * *')).toBe('2026-11-28T17:45:00.000Z');
    expect(next('0 3 * * *')).toBe('2026-11-29T03:00:00.000Z');
    expect(next('30 2 1 * *')).toBe('2026-12-01T02:30:00.000Z');
    expect(next('0 0 * * 0')).toBe('2026-11-29T00:00:00.000Z');
    expect(next('0 0 * * 7')).toBe('2026-11-29T00:00:00.000Z');
    expect(next('0 12 29 2 *')).toBe('2028-02-29T12:00:00.000Z');
    // Both day fields restricted: either one matching is enough (Vixie cron). 2026-12-04 is a Friday.
    expect(next('0 0 13 * 5')).toBe('2026-12-04T00:00:00.000Z');
    expect(next('0 0 * * MON')).toBe('2026-11-30T00:00:00.000Z');
    // Strictly after: a time that matches is not its own next run.
    expect(iso(new CronExpression('0 3 * * *').next(new Date('2026-11-29T03:00:00Z')))).toBe(
      '2026-11-30T03:00:00.000Z',
    );
    expect(new CronExpression('0 3 * * *').matches(new Date('2026-11-29T03:00:42Z'))).toBe(true);
    expect(new CronExpression('0 3 * * *').matches(new Date('2026-11-29T03:01:00Z'))).toBe(false);
  });

  it('refuses malformed expressions, six fields and dates that never come, with a validation error', () => {
    for (const bad of [
      '* * * *',
      '60 * * * *',
      '* 24 * * *',
      'a * * * *',
      '*/0 * * * *',
      '5-1 * * * *',
      '0 * * * * *',
      '0 0 31 2 *',
      '',
    ]) {
      expect(() => new CronExpression(bad), bad).toThrow(/^cron expression '.*': /);
      try {
        new CronExpression(bad);
      } catch (error) {
        expect(error, bad).toMatchObject({ code: 'VALIDATION' });
      }
    }
    expect(() => new CronExpression('0 0 31 2 *')).toThrow(/never matches/);
    expect(() => new CronExpression('0 3 * * *', 'Mars/Olympus_Mons')).toThrow(/IANA time zone/);
  });

  it('knows IANA zone names and refuses offsets and unknown names', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Etc/GMT+1'])
      expect(isTimeZone(zone), zone).toBe(true);
    for (const zone of ['', '+01:00', 'GMT+1:00', 'Mars/Olympus_Mons', 'Europe/', '../etc', 'Europe Berlin'])
      expect(isTimeZone(zone), zone).toBe(false);
  });

  describe('daylight saving time in Europe/Berlin (2026: forward on 29 March, back on 25 October)', () => {
    const berlin = (expression: string) => new CronExpression(expression, 'Europe/Berlin');

    it('30 2 * * * runs at 03:00 on the day 02:30 does not exist, and once on the day it occurs twice', () => {
      const daily = berlin('30 2 * * *');
      // 02:30 CET is 01:30 UTC; on 29 March 02:00–03:00 is skipped, so 03:00 CEST (01:00 UTC); then CEST.
      expect(iso(daily.next(new Date('2026-03-27T12:00:00Z')))).toBe('2026-03-28T01:30:00.000Z');
      expect(iso(daily.next(new Date('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
      expect(iso(daily.next(new Date('2026-03-29T01:00:00Z')))).toBe('2026-03-30T00:30:00.000Z');
      // 25 October: 02:30 CEST (00:30 UTC), and not again at 02:30 CET (01:30 UTC) the same night.
      expect(iso(daily.next(new Date('2026-10-24T12:00:00Z')))).toBe('2026-10-25T00:30:00.000Z');
      expect(iso(daily.next(new Date('2026-10-25T00:30:00Z')))).toBe('2026-10-26T01:30:00.000Z');
    });

    it('*/30 2 * * * skips the minutes that do not exist and runs at both occurrences of repeated ones', () => {
      const every = berlin('*/30 2 * * *');
      expect(iso(every.next(new Date('2026-03-28T12:00:00Z')))).toBe('2026-03-30T00:00:00.000Z');
      const night: string[] = [];
      let at = new Date('2026-10-24T12:00:00Z');
      for (let i = 0; i < 5; i += 1) {
        at = every.next(at);
        night.push(iso(at));
      }
      expect(night).toEqual([
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-26T01:00:00.000Z',
      ]);
    });

    it('a scheduler with timezone Europe/Berlin runs a daily backup once a day through both changes', async () => {
      expect(
        await runsBetween('30 2 * * *', 'Europe/Berlin', '2026-03-27T00:00:00Z', '2026-03-30T23:45:00Z'),
      ).toEqual([
        '2026-03-27T01:30:00.000Z',
        '2026-03-28T01:30:00.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-30T00:30:00.000Z',
      ]);
      expect(
        await runsBetween('30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00:00Z', '2026-10-26T23:45:00Z'),
      ).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
      // Without a zone the same expression is UTC, as it always was: 02:30 UTC whatever Berlin does.
      expect(
        await runsBetween('30 2 * * *', undefined, '2026-03-28T00:00:00Z', '2026-03-29T23:45:00Z'),
      ).toEqual(['2026-03-28T02:30:00.000Z', '2026-03-29T02:30:00.000Z']);
    });
  });

  it('reads other zones too: 03:00 in New York on the day the US springs forward is 07:00 UTC', () => {
    const ny = new CronExpression('0 3 * * *', 'America/New_York');
    expect(iso(ny.next(new Date('2026-03-07T00:00:00Z')))).toBe('2026-03-07T08:00:00.000Z');
    expect(iso(ny.next(new Date('2026-03-07T12:00:00Z')))).toBe('2026-03-08T07:00:00.000Z');
  });
});

describe('the schedule in the config: cron tiers and the timezone option', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-cron-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const config = (
    policy: Record<string, unknown>,
    options: Record<string, unknown> = {},
  ): StorageConfigInput => ({
    database: { path: join(dir, 'kb.db') },
    backup: { destinations: [{ type: 'local', path: join(dir, 'repo') }], policy },
    mvp: { extensions: [{ id: 'backup', options }] },
  });

  it('refuses a bad cron expression when the store opens, naming the tier, even with no schedule running', async () => {
    for (const [cron, why] of [
      ['61 * * * *', /Invalid value for minute: 61/],
      ['0 * * * * *', /exactly 5 parts/],
      ['0 0 31 2 *', /never matches/],
      ['every day', /cron expression 'every day'/],
    ] as const) {
      const opening = createStorage(config({ full: { cron, keep: 3 } }), { plugins: [backupPlugin] });
      await expect(opening, cron).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(
          /^Invalid backup schedule: backup\.policy\.full\.cron: cron expression /,
        ),
        issues: [{ path: 'backup.policy.full.cron', message: expect.stringMatching(why) }],
      });
    }
  });

  it('refuses a timezone that is not an IANA name, and reads cron tiers in the one given', async () => {
    for (const timezone of ['Mars/Olympus_Mons', '+02:00', 'CEST-ish']) {
      await expect(
        createStorage(config({ full: { cron: '30 2 * * *', keep: 3 } }, { timezone }), {
          plugins: [backupPlugin],
        }),
        timezone,
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/timezone: .*is not an IANA time zone name/),
      });
    }
    const storage = await createStorage(
      config({ full: { cron: '30 2 * * *', keep: 3 } }, { schedule: true, timezone: 'Europe/Berlin' }),
      { plugins: [backupPlugin] },
    );
    try {
      const [tier] = storage.plugin(backupPlugin).schedule().tiers;
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(tier!.next));
      // 02:30 Berlin time (03:00 only on the night the clocks spring forward).
      expect(['02:30', '03:00']).toContain(local);
      const utc = new Date(tier!.next).getUTCHours();
      expect([0, 1]).toContain(utc);
    } finally {
      await storage.close();
    }
  });
});
