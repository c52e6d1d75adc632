/**
 * `npm run backups -- <command>`: a person's collection in SYNC_BASE (default ~/.syncserver),
 * from a terminal.
 *
 *   list <username>               the backups Hearth keeps of the person's cards, newest first
 *   restore <username> <BACKUP>   puts that backup back (the current cards are kept as a backup
 *                                 first); every device must then choose Download at its next sync
 *   export <username> [FILE]      the collection with its media as a .colpkg (Anki: File → Import);
 *                                 FILE defaults to "<username> <date>.colpkg" in this folder
 *
 * Works on the files, so no sync server may be serving the folder meanwhile: a running one holds
 * the collections open, and the copy is then made from its window or admin page instead (the
 * command says so). To add a command: an entry in COMMANDS, with its usage line.
 */
import { resolve } from 'node:path';
import { runCommand } from './run-command.ts';
import { configFromEnv, openAccountStore, silentLogger } from '../server/index.ts';
import type { ServerConfig } from '../server/index.ts';
import { createCollectionExport, packageFileName } from '../host/collection-export.ts';
import { createBackups } from '../host/backups.ts';
import { formatBytes } from '../shared/format-bytes.ts';

/** What every command gets. */
interface CommandContext {
  readonly config: ServerConfig;
  /** Who can sync: Hearth's accounts and SYNC_USERn. */
  people(): string[];
  say(line: string): void;
  /** A sentence on standard error; the command then exits with 1. */
  refuse(sentence: string): number;
}

interface Command {
  /** The arguments, for the usage line: `<username> [FILE]`. */
  readonly usage: string;
  /** Exit code; undefined when the arguments do not fit (the usage is printed). */
  run(args: readonly string[], ctx: CommandContext): Promise<number | undefined>;
}

/** A runner for commands that run no server: they work on the files, under the folder's lock. */
const NO_SERVER = { restoreBackup: async () => 'not-running' as const };

const COMMANDS: Readonly<Record<string, Command>> = {
  list: {
    usage: '<username>',
    async run(args, ctx) {
      const [username, ...extra] = args;
      if (username === undefined || extra.length > 0) return undefined;
      const backups = createBackups({
        base: () => ctx.config.base,
        people: async () => ctx.people(),
        runner: NO_SERVER,
        logger: silentLogger,
      });
      const listed = await backups.list(username);
      if (!listed.ok) return ctx.refuse(listed.problem);
      if (listed.backups.length === 0) ctx.say(`No backup of ${username}’s cards yet: Hearth makes the first after their next sync.`);
      for (const b of listed.backups) {
        const holds = b.readable
          ? `${b.notes} notes, ${b.cards} cards, ${b.reviews} reviews, ${formatBytes(b.bytes)}`
          : 'damaged: cannot be restored';
        ctx.say(`${b.id}\t${b.takenAt.slice(0, 16).replace('T', ' ')} UTC, ${b.reason} (${holds})`);
      }
      ctx.say(listed.rule);
      return 0;
    },
  },
  restore: {
    usage: '<username> <BACKUP>',
    async run(args, ctx) {
      const [username, backupId, ...extra] = args;
      if (username === undefined || backupId === undefined || extra.length > 0) return undefined;
      const backups = createBackups({
        base: () => ctx.config.base,
        people: async () => ctx.people(),
        runner: NO_SERVER,
        logger: silentLogger,
      });
      const restored = await backups.restore(username, backupId);
      if (!restored.ok) return ctx.refuse(restored.problem);
      ctx.say(`Restored ${username}’s cards from ${backupId}; the cards there before are kept as a backup.`);
      ctx.say(`On each of ${username}’s devices, the next sync asks to upload or download: choose Download.`);
      return 0;
    },
  },
  export: {
    usage: '<username> [FILE]',
    async run(args, ctx) {
      const [username, file, ...extra] = args;
      if (username === undefined || extra.length > 0) return undefined;
      const exporter = createCollectionExport({
        base: () => ctx.config.base,
        people: async () => ctx.people(),
        // This command runs no server: the copy is made on the files, under the folder's lock.
        runner: { state: () => ({ kind: 'stopped' }), copyCollection: async () => 'not-running' },
        logger: silentLogger,
      });
      const path = resolve(file ?? packageFileName(username, Date.now()));
      const saved = await exporter.saveTo(username, path);
      if (!saved.ok) return ctx.refuse(saved.problem);
      const { summary } = saved;
      ctx.say(`Saved ${username}’s collection with ${summary.mediaFiles} media file(s) to ${path} (${formatBytes(summary.bytes)}).`);
      if (summary.skippedMedia.length > 0) {
        ctx.say(`Left out ${summary.skippedMedia.length} media file(s) whose names Anki does not accept, e.g. ${summary.skippedMedia[0]}.`);
      }
      ctx.say('In Anki: File → Import, and choose that file. It replaces the collection on that computer.');
      return 0;
    },
  },
};

function usage(): string {
  return `Usage: npm run backups -- ${Object.entries(COMMANDS)
    .map(([name, c]) => `${name} ${c.usage}`)
    .join(' | ')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(usage());
    return 2;
  }
  const config = configFromEnv(process.env);
  const ctx: CommandContext = {
    config,
    people: () => [
      ...openAccountStore(config.base)
        .list()
        .map((a) => a.username),
      ...config.envUsers.map((u) => u.raw.split(':', 1)[0]!),
    ],
    say: (line) => void process.stdout.write(line + '\n'),
    refuse(sentence) {
      process.stderr.write(`${sentence}\n`);
      return 1;
    },
  };
  const code = await command.run(args, ctx);
  if (code !== undefined) return code;
  process.stderr.write(usage());
  return 2;
}

runCommand(main);
