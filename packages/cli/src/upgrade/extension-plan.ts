import {
  ConfigError,
  type MvpNumber,
  type PluginDefinition,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import { ExitCode } from '../cli-error.js';
import type { ConfigWrite } from './config-file-writer.js';
import { highestMvp } from './mvp-levels.js';
import { UpgradeErrorCode, UpgradeRefusal } from './upgrade-errors.js';

export interface ExtensionPlanInput {
  readonly target: MvpNumber;
  /** Every extension package installed next to the CLI. */
  readonly installed: readonly PluginDefinition[];
  /** The config file the run read, with its text; null when kb runs without one. */
  readonly configFile: { readonly path: string; readonly text: string } | null;
  /** Where `--write-config` creates a config file when there is none (the working directory's default). */
  readonly defaultConfigPath: string;
  readonly writeConfig: boolean;
  /** The config the run opens stores with (the file's settings, its `database` resolved). */
  readonly storeConfig: StorageConfigInput;
}

/**
 * How the upgraded level persists, so the next ordinary `kb` command opens the store with it:
 * - `config`: the config file's `mvp.extensions` (and `mvp.version`) name the target's extensions; kb writes
 *   the file atomically, or creates it with `--write-config`.
 * - `ledger`: no config file; kb enables every installed extension anyway, and the migration ledger records
 *   which the store has applied.
 */
export interface ExtensionPlan {
  readonly persistence: 'config' | 'ledger';
  /** The config the upgraded store opens with: what the next kb command will read. */
  readonly storeConfig: StorageConfigInput;
  /** The file to write, when it must change. */
  readonly write: ConfigWrite | null;
  /** What changes in the config, in words. */
  readonly changes: readonly string[];
}

type RawConfig = Record<string, unknown>;

interface ExtensionEntry {
  id?: unknown;
  enabled?: unknown;
  [key: string]: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseConfigText(path: string, text: string): RawConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(cause as Error).message}`, [
      { path: '', message: 'not valid JSON' },
    ]);
  }
  if (!isObject(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`, [
      { path: '', message: 'expected an object' },
    ]);
  }
  return parsed;
}

/**
 * The `mvp.extensions` list that enables MVP `target`: the entries already there, kept as written, plus the
 * shipped extension of every MVP up to the target that is missing; an entry switched off (`enabled: false`)
 * is switched on. Returns undefined when the list may stay absent (every installed extension enabled).
 */
function extensionsFor(
  named: unknown,
  input: ExtensionPlanInput,
  creating: boolean,
  changes: string[],
): ExtensionEntry[] | undefined {
  const wanted = input.installed.filter((p) => p.mvp >= 2 && p.mvp <= input.target);
  if (named === undefined) {
    const beyond = input.installed.filter((p) => p.mvp > input.target);
    if (!creating && beyond.length === 0) return undefined;
    // Without a list every installed extension is enabled: name those up to the target, so the next run
    // does not enable (and migrate) the ones beyond it.
    const pinned = input.installed.filter((p) => p.mvp <= input.target).map((p) => ({ id: p.id }));
    changes.push(`mvp.extensions: set to ${pinned.map((e) => e.id).join(', ') || '(none)'}`);
    return pinned;
  }
  if (!Array.isArray(named)) {
    throw new ConfigError(`mvp.extensions in ${input.configFile?.path} must be an array`, [
      { path: 'mvp.extensions', message: 'expected an array' },
    ]);
  }
  const list = (named as unknown[]).map((e) => (isObject(e) ? { ...e } : e)) as ExtensionEntry[];
  for (const plugin of wanted) {
    const at = list.findIndex((e) => isObject(e) && e.id === plugin.id);
    if (at < 0) {
      list.push({ id: plugin.id });
      changes.push(`mvp.extensions: + ${plugin.id} (MVP${plugin.mvp})`);
    } else if (list[at]?.enabled === false) {
      list[at] = { ...list[at], enabled: true };
      changes.push(`mvp.extensions: ${plugin.id} (MVP${plugin.mvp}) switched on`);
    }
  }
  return list;
}

/** Plans the config change of an upgrade to `input.target` (see ExtensionPlan); reads and writes nothing. */
export function planExtensions(input: ExtensionPlanInput): ExtensionPlan {
  const file = input.configFile;
  if (file === null && !input.writeConfig) {
    return { persistence: 'ledger', storeConfig: input.storeConfig, write: null, changes: [] };
  }
  const raw = file === null ? {} : parseConfigText(file.path, file.text);
  if (raw.mvp !== undefined && !isObject(raw.mvp)) {
    throw new ConfigError(`mvp in ${file?.path} must be an object`, [
      { path: 'mvp', message: 'expected an object' },
    ]);
  }
  const mvp: Record<string, unknown> = { ...(raw.mvp as Record<string, unknown> | undefined) };
  const changes: string[] = [];
  const extensions = extensionsFor(mvp.extensions, input, file === null, changes);
  const version = String(input.target);
  if (mvp.version !== version) {
    changes.push(`mvp.version: ${mvp.version === undefined ? '(unset)' : String(mvp.version)} → ${version}`);
  }
  const nextMvp = { ...mvp, version, ...(extensions ? { extensions } : {}) };
  const storeMvp = { ...input.storeConfig.mvp, version, ...(extensions ? { extensions } : {}) };
  const storeConfig = { ...input.storeConfig, mvp: storeMvp } as StorageConfigInput;
  if (changes.length === 0) return { persistence: 'config', storeConfig, write: null, changes };
  const path = file?.path ?? input.defaultConfigPath;
  return {
    persistence: 'config',
    storeConfig,
    write: {
      file: path,
      original: file?.text ?? null,
      text: `${JSON.stringify({ ...raw, mvp: nextMvp }, null, 2)}\n`,
    },
    changes,
  };
}

/**
 * Refuses a plan the next kb command would not keep: the extensions the upgraded config enables must be at
 * the target, not beyond it (kb upgrade does not switch extensions off).
 */
export function refuseLevelNotKept(
  enabled: readonly PluginDefinition[],
  input: Pick<ExtensionPlanInput, 'target' | 'configFile' | 'writeConfig'>,
): void {
  const level = highestMvp(enabled);
  if (level <= input.target) return;
  const beyond = enabled.filter((p) => p.mvp > input.target).map((p) => `${p.id} (MVP${p.mvp})`);
  const message =
    input.configFile === null && !input.writeConfig
      ? `without a config file kb enables every installed extension (${beyond.join(', ')} included), so the ` +
        `next kb command would take this store to MVP${level}. Upgrade to MVP${level}, or pass --write-config ` +
        `to create a config file that enables the extensions up to MVP${input.target} only`
      : `${input.configFile?.path ?? 'the config file'} enables ${beyond.join(', ')}, beyond MVP${input.target}, ` +
        `so the next kb command would take this store to MVP${level}; kb upgrade does not switch extensions ` +
        `off. Upgrade to MVP${level}, or take them out of mvp.extensions first`;
  throw new UpgradeRefusal(UpgradeErrorCode.LEVEL_NOT_KEPT, message, ExitCode.USAGE);
}
