/**
 * `npm run accounts -- <command>`: manage Hearth's own accounts in SYNC_BASE (default
 * ~/.syncserver). Passwords are read from the terminal without echo, or from the first line of
 * standard input when it is not a terminal, and never taken from the command line (where other
 * users of the machine could see them).
 *
 *   list                           the people who can sync
 *   add <username>                 add a person (asks for the password)
 *   passwd <username> [DEVICE…]    change a password; every device but those named must log in again
 *   remove <username>              remove a person (their data folder is kept)
 *   devices <username>             the person's phones and computers, with the ids to sign one out
 *   signout <username> [DEVICE]    sign that device out, or every device of the person
 *
 * A server running on the same folder sees each change at its next request.
 */
import { createInterface } from 'node:readline';
import { runCommand } from './run-command.ts';
import { configFromEnv, openAccountStore, silentLogger, userPaths } from '../server/index.ts';
import { createPeople } from '../host/people.ts';
import type { ActionResult, DeviceSummary } from '../shared/api.ts';

async function readPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const rl = createInterface({ input });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve) => {
    let text = '';
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          process.stderr.write('\n');
          resolve(text);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

/** One line per device: its id first, then what a person reads. */
function deviceLine(d: DeviceSummary): string {
  const synced = d.lastSyncAt === null ? 'not synced yet' : `last synced ${d.lastSyncAt.slice(0, 16).replace('T', ' ')} UTC`;
  const details = [d.app, d.lastAddress === null ? null : `from ${d.lastAddress}`].filter((x) => x !== null).join(', ');
  return `${d.id}\t${d.name}, ${synced}${details === '' ? '' : ` (${details})`}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, username, ...rest] = argv;
  const config = configFromEnv(process.env);
  const store = openAccountStore(config.base);
  const envUsernames = config.envUsers.map((u) => u.raw.split(':', 1)[0]!);
  const people = createPeople({ base: () => config.base, envUsernames: () => envUsernames, logger: silentLogger });
  const say = (line: string): void => void process.stdout.write(line + '\n');
  /** An action's outcome: its sentence on standard error and exit code 1 when it was refused. */
  const outcome = (result: ActionResult, done: string): number => {
    if (result.ok) {
      say(done);
      return 0;
    }
    process.stderr.write(`${result.problem}\n`);
    return 1;
  };
  switch (command) {
    case 'list': {
      const accounts = store.list();
      if (accounts.length === 0) say(`No accounts yet in ${store.path}.`);
      for (const a of accounts)
        say(`${a.username}\t(added ${a.createdAt.slice(0, 10)}, password changed ${a.passwordChangedAt.slice(0, 10)})`);
      for (const u of config.envUsers) say(`${u.raw.split(':', 1)[0]}\t(from SYNC_USER${u.index})`);
      return 0;
    }
    case 'add':
    case 'passwd': {
      if (!username) break;
      const password = await readPassword(`Password for ${username}: `);
      if (command === 'add') {
        await store.add(username, password);
        say(`Added ${username}. They can now log in to the sync server with this username and password.`);
        return 0;
      }
      return outcome(
        await people.changePassword(username, password, rest),
        rest.length === 0
          ? `Changed the password of ${username}. Their devices need to log in again.`
          : `Changed the password of ${username}. Their devices need to log in again, but for the ${rest.length} kept.`,
      );
    }
    case 'remove': {
      if (!username) break;
      return outcome(
        await people.remove(username, false),
        `Removed ${username}. Their collection and media are still in ${userPaths(config.base, username).dir}.`,
      );
    }
    case 'devices': {
      if (!username) break;
      const person = (await people.list()).find((p) => p.username === username);
      if (!person) return outcome({ ok: false, problem: `There is no person called “${username}”.` }, '');
      if (person.devices.length === 0) say(`No device of ${username} has logged in yet.`);
      for (const d of person.devices) say(deviceLine(d));
      return 0;
    }
    case 'signout': {
      if (!username || rest.length > 1) break;
      const [device] = rest;
      return device === undefined
        ? outcome(await people.signOutAllDevices(username), `Signed out every device of ${username}. Each must log in again to sync.`)
        : outcome(await people.signOutDevice(username, device), `Signed out that device of ${username}. It must log in again to sync.`);
    }
  }
  process.stderr.write(
    'Usage: npm run accounts -- list | add <username> | passwd <username> [DEVICE…] | remove <username> | devices <username> | signout <username> [DEVICE]\n',
  );
  return 2;
}

runCommand(main);
