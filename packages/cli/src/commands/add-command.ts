import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KBEntryInput, Severity } from '@mainframe-kb/storage-core';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, stringList, stringOption } from '../command.js';
import { addEntries } from './entry-loader.js';

const USAGE =
  'kb add --title T --problem P --solution S --category C [--severity low|medium|high|critical] [--tag t]… | kb add --file F';

const FIELD_FLAGS = ['title', 'problem', 'solution', 'category'] as const;

function readEntryFile(ctx: CommandContext, file: string): KBEntryInput[] {
  const path = resolve(ctx.io.cwd, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('NOT_FOUND', `no such file: ${path}`, ExitCode.NOT_FOUND, { cause });
    }
    throw new CliError(
      'FILE_UNREADABLE',
      `cannot read ${path}: ${(cause as Error).message}`,
      ExitCode.FAILED,
      {
        cause,
      },
    );
  }
  let text: string;
  try {
    // Strict: bytes that are not UTF-8 are refused, not stored as U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new CliError(
      'VALIDATION',
      `${path} is not UTF-8 text (an invalid, overlong or truncated byte sequence); save it as UTF-8`,
      ExitCode.REJECTED,
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    // The file was read but its content is refused: rejected input, like any other bad entry.
    throw new CliError(
      'VALIDATION',
      `${path} is not valid JSON: ${(cause as Error).message}`,
      ExitCode.REJECTED,
      {
        cause,
      },
    );
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new CliError(
        'VALIDATION',
        `${path}: entry ${index} is not an object; the file must hold one entry object or an array of them`,
        ExitCode.REJECTED,
      );
    }
  });
  return list as KBEntryInput[];
}

function entryFromFlags(ctx: CommandContext): KBEntryInput {
  const missing = FIELD_FLAGS.filter((name) => stringOption(ctx, name) === undefined);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`, USAGE);
  }
  const severity = stringOption(ctx, 'severity');
  return {
    title: stringOption(ctx, 'title') as string,
    problem: stringOption(ctx, 'problem') as string,
    solution: stringOption(ctx, 'solution') as string,
    category: stringOption(ctx, 'category') as string,
    // Checked by the store, which answers a bad value with a VALIDATION error (exit 3).
    severity: severity as Severity | undefined,
    tags: stringList(ctx, 'tag'),
  };
}

export const addCommand: Command = {
  name: 'add',
  summary: 'add one entry from flags, or every entry of a JSON file (all or nothing)',
  usage: USAGE,
  details: [
    '--file F   a JSON file with one entry object or an array of them; one bad entry refuses the whole file.',
    '--tag t    repeat for several tags.',
  ],
  options: {
    title: { type: 'string' },
    problem: { type: 'string' },
    solution: { type: 'string' },
    category: { type: 'string' },
    severity: { type: 'string' },
    tag: { type: 'string', multiple: true },
    file: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const file = stringOption(ctx, 'file');
    if (file !== undefined) {
      const conflicting = [...FIELD_FLAGS, 'severity', 'tag'].filter(
        (name) => ctx.values[name] !== undefined,
      );
      if (conflicting.length > 0) {
        throw new UsageError(
          `--file cannot be combined with ${conflicting.map((c) => `--${c}`).join(', ')}`,
          USAGE,
        );
      }
      const inputs = readEntryFile(ctx, file);
      const storage = await ctx.openStorage();
      const ids = await addEntries(storage, inputs, ctx.out, 'Adding entries');
      ctx.out.emit({ ids }, () =>
        ctx.out.mode.quiet
          ? ids.join('\n')
          : [`Added ${ids.length} entries`, ...ids.map((id) => `  ${id}`)].join('\n'),
      );
      return 0;
    }
    const input = entryFromFlags(ctx);
    const storage = await ctx.openStorage();
    const id = await storage.createEntry(input);
    ctx.out.emit({ id }, () => (ctx.out.mode.quiet ? id : `Added entry ${id}`));
    return 0;
  },
};
