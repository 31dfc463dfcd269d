import type { PluginCommandContext } from '@mainframe-kb/storage-core';
import type { PatternsApi } from '../api/patterns-api.js';
import type { patternsPlugin } from '../patterns-plugin.js';

export function stringOption(ctx: PluginCommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric option; anything else is a usage error (exit 2), not a validation error. */
export function numberOption(ctx: PluginCommandContext, name: string): number | undefined {
  const raw = stringOption(ctx, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw ctx.usageError(`--${name} must be a number, not '${raw}'`);
  return value;
}

/**
 * The plugin's API on the run's store. The definition is imported as a type only: it lists these commands,
 * so importing its value here would make a cycle that breaks whichever module loads first.
 */
export async function patternsApiOf(ctx: PluginCommandContext): Promise<PatternsApi> {
  const storage = await ctx.storage();
  return storage.plugin<typeof patternsPlugin>('patterns');
}
