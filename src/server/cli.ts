/**
 * Headless entry: `node src/server/cli.ts` (npm run serve). Configured exactly like the official
 * server, by SYNC_USER1…N, PASSWORDS_HASHED, SYNC_BASE, SYNC_HOST, SYNC_PORT and
 * MAX_SYNC_PAYLOAD_MEGS; accounts added with `npm run accounts` are served too.
 */
import { ConfigError, configFromEnv } from './config.ts';
import { createSyncServer } from './index.ts';
import { createLogger } from './logger.ts';

async function main(): Promise<number> {
  const logger = createLogger();
  let server;
  try {
    const config = configFromEnv(process.env);
    server = await createSyncServer(config, { logger });
    if (server.usernames().length === 0) {
      await server.close();
      process.stderr.write(
        'No users defined; SYNC_USER1 env var should be set (for example SYNC_USER1=alice:password),\n' +
          'or add a person with: npm run accounts -- add <username>\n',
      );
      return 1;
    }
    const { host, port } = await server.listen();
    process.stderr.write(
      `Hearth sync server is running on http://${host}:${port}/ for ${server.usernames().length} user(s). Press Ctrl+C to stop.\n`,
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Cannot start: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const s = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info('stopping', { signal });
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await s.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`Hearth sync server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
