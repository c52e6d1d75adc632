/**
 * `npm run accounts -- <command>`: manage Hearth's own accounts in SYNC_BASE (default
 * ~/.syncserver). Passwords are read from the terminal without echo, or from the first line of
 * standard input when it is not a terminal, and never taken from the command line (where other
 * users of the machine could see them).
 *
 *   list                    the people who can sync
 *   add <username>          add a person (asks for the password)
 *   passwd <username>       change a password
 *   remove <username>       remove a person (their data folder is kept)
 */
import { createInterface } from 'node:readline';
import { AccountError, configFromEnv, ConfigError, openAccountStore, userPaths } from '../server/index.ts';

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

async function main(argv: string[]): Promise<number> {
  const [command, username] = argv;
  const config = configFromEnv(process.env);
  const store = openAccountStore(config.base);
  const say = (line: string): void => void process.stdout.write(line + '\n');
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
      } else {
        await store.setPassword(username, password);
        say(`Changed the password of ${username}. Their devices need to log in again.`);
      }
      return 0;
    }
    case 'remove': {
      if (!username) break;
      store.remove(username);
      say(`Removed ${username}. Their collection and media are still in ${userPaths(config.base, username).dir}.`);
      return 0;
    }
  }
  process.stderr.write('Usage: npm run accounts -- list | add <username> | passwd <username> | remove <username>\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof AccountError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
