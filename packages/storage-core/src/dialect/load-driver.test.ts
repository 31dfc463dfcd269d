import { describe, expect, it } from 'vitest';
import { loadDriver } from './load-driver.js';

describe('loadDriver', () => {
  it('names the package to install when a dialect driver is missing', async () => {
    const error = await loadDriver('kb-driver-that-is-not-installed', 'postgresql').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DRIVER_MISSING' });
    expect(String((error as Error).message)).toContain('npm install kb-driver-that-is-not-installed');
  });

  it('loads an installed driver', async () => {
    const pg = await loadDriver<{ Pool: unknown }>('pg', 'postgresql');
    expect(typeof pg.Pool).toBe('function');
  });
});
