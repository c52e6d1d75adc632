/**
 * Headless entry: `node src/headless/cli.ts` (npm run serve). Configured exactly like the official
 * server, by SYNC_USER1…N, PASSWORDS_HASHED, SYNC_BASE, SYNC_HOST, SYNC_PORT and
 * MAX_SYNC_PAYLOAD_MEGS; accounts added with `npm run accounts` are served too.
 *
 * It also serves the admin page (the desktop app's window, admin-server.ts) on 127.0.0.1 only,
 * on HEARTH_ADMIN_PORT (default SYNC_PORT + 1), protected by a random token printed in its link
 * at start-up and kept in `<SYNC_BASE>/.hearth/admin-token` (admin-token.ts), so the link works
 * after a restart; `--new-admin-link` makes a new one. HEARTH_ADMIN=off turns the page off.
 * Changes made there are kept in `<SYNC_BASE>/.hearth/headless-settings.json` (headless-settings.ts).
 */
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  configFromEnv,
  createLogger,
  keepYoungGenerationSmall,
  openAccountStore,
  runInBackgroundPriority,
} from '../server/index.ts';
import { serverErrorSentence } from '../host/recent-errors.ts';
import { adminPageUrl, createAdminServer, newAdminToken } from './admin-server.ts';
import type { AdminServer } from './admin-server.ts';
import { adminConfigFromEnv } from './admin-config.ts';
import { NEW_ADMIN_LINK_FLAG, adminTokenPath, loadAdminToken } from './admin-token.ts';
import { createHeadless } from './headless.ts';

/** The built window (npm run build); the same relative place from src/headless and dist/headless. */
const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));

/** The admin page's token: kept from the last start unless a new link is asked for (or it cannot be kept). */
function adminToken(base: string, renew: boolean): string {
  try {
    const { token, origin } = loadAdminToken(base, { renew });
    if (origin === 'renewed') process.stderr.write('A new admin link was made: pages opened with the old link are refused.\n');
    return token;
  } catch (err) {
    process.stderr.write(
      `The admin link cannot be kept in ${adminTokenPath(base)} (${(err as NodeJS.ErrnoException).code ?? String(err)}): it changes at every start.\n`,
    );
    return newAdminToken();
  }
}

async function main(): Promise<number> {
  const logger = createLogger();
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== NEW_ADMIN_LINK_FLAG);
  if (unknown.length > 0) {
    process.stderr.write(
      `Unknown option ${unknown[0]}. The only option is ${NEW_ADMIN_LINK_FLAG}; the rest is set by environment variables (see the README).\n`,
    );
    return 1;
  }
  keepYoungGenerationSmall();
  if (!runInBackgroundPriority()) logger.child('process').info('running at normal priority (the system did not allow lowering it)');
  let config;
  let admin;
  try {
    config = configFromEnv(process.env);
    admin = adminConfigFromEnv(process.env, config.port);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Cannot start: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  let quit: () => void = () => {};
  const stopped = new Promise<string>((resolve) => (quit = () => resolve('quit from the admin page')));
  let adminPort: number | null = null;
  const headless = createHeadless({
    config,
    logger,
    interfaces: () => networkInterfaces(),
    logFile: 'the messages of the headless server, in the terminal where it was started (or in its service’s log)',
    adminPort: () => adminPort,
    // After the reply to the window has left.
    onQuit: () => void setTimeout(() => quit(), 100),
  });

  if (!admin.enabled && config.envUsers.length === 0 && openAccountStore(headless.settings().storageFolder).list().length === 0) {
    process.stderr.write(
      'No users defined; SYNC_USER1 env var should be set (for example SYNC_USER1=alice:password),\n' +
        'or add a person with: npm run accounts -- add <username>\n',
    );
    return 1;
  }

  const state = await headless.start();
  if (state.kind === 'crashed') {
    // An unexpected problem's detail is the reason (e.g. a SYNC_USERn mistake); the others have sentences.
    const reason = state.error.code === 'internal' && state.error.detail ? state.error.detail : serverErrorSentence(state.error);
    process.stderr.write(`Cannot start: ${reason}\n`);
    await headless.close();
    return 1;
  }
  if (state.kind === 'running') {
    process.stderr.write(
      `Hearth sync server is running on http://${state.host}:${state.port}/ for ${(await headless.usernames()).length} user(s). Press Ctrl+C to stop.\n`,
    );
  } else {
    process.stderr.write('The sync server is switched off (on the admin page); the admin page is running.\n');
  }

  let adminServer: AdminServer | undefined;
  if (admin.enabled) {
    const token = adminToken(config.base, args.includes(NEW_ADMIN_LINK_FLAG));
    adminServer = createAdminServer({
      handlers: headless.handlers,
      downloads: headless.downloads,
      staticDir: process.env.HEARTH_ADMIN_STATIC_DIR || DEFAULT_STATIC_DIR,
      port: admin.port,
      token,
      logger,
    });
    try {
      const { port } = await adminServer.listen();
      adminPort = port;
      // Printed, never logged: whoever has this address can manage the server.
      process.stderr.write(`Manage Hearth in a browser on this computer: ${adminPageUrl(port, token)}\n`);
    } catch (err) {
      process.stderr.write(
        `The admin page could not start on 127.0.0.1:${admin.port} (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
          'set HEARTH_ADMIN_PORT to a free port, or HEARTH_ADMIN=off. The sync server keeps running.\n',
      );
      adminServer = undefined;
    }
    if ((await headless.usernames()).length === 0) process.stderr.write('Nobody can sync yet: add a person on the admin page.\n');
  }

  const why = await new Promise<string>((resolve) => {
    void stopped.then(resolve);
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info('stopping', { why });
  await adminServer?.close();
  await headless.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`Hearth sync server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
