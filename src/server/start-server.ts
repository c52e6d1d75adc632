/**
 * Starting the sync server on a data folder, the one way both hosts do it (the app's server
 * process, src/server/utility-entry.ts, and the headless host's in-process runner): the folder
 * exists (or may be created) and is writable, no other Hearth serves it (server-lock.ts), the
 * server listens. Each problem a person can fix is a StartFailure with a stable code that the
 * window and the tray explain; anything else is a StartFailure `internal` carrying its cause.
 */
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ServerFailureCode } from '../shared/errors.ts';
import type { ServerStartConfig } from '../shared/server-process.ts';
import { ConfigError } from './config.ts';
import type { EnvUserEntry, ServerConfig } from './config.ts';
import { createSyncServer } from './sync-server.ts';
import type { SyncServer, SyncServerDeps } from './sync-server.ts';
import { IncompleteInstallError } from './runtime-check.ts';
import { acquireServerLock } from './server-lock.ts';

export class StartFailure extends Error {
  readonly code: ServerFailureCode;
  constructor(code: ServerFailureCode, detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'StartFailure';
    this.code = code;
  }
}

export interface RunningServer {
  readonly server: SyncServer;
  readonly host: string;
  readonly port: number;
  /** Closes the listener (requests in flight finish first), then releases the folder. */
  stop(): Promise<void>;
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** Exists (or is created when allowed), is a folder, and a file can be written in it. */
function prepareDataFolder(folder: string, create: boolean): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(folder).isDirectory();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
      if (!create) throw new StartFailure('folder-missing', `${folder} does not exist`);
      try {
        mkdirSync(folder, { recursive: true });
      } catch (mkErr) {
        if (NOT_WRITABLE.has(errnoCode(mkErr) ?? '')) throw new StartFailure('folder-not-writable', `cannot create ${folder}`);
        throw mkErr;
      }
      isDirectory = true;
    } else if (NOT_WRITABLE.has(errnoCode(err) ?? '')) {
      throw new StartFailure('folder-not-writable', `cannot open ${folder}`);
    } else {
      throw err;
    }
  }
  if (!isDirectory) throw new StartFailure('folder-missing', `${folder} is a file, not a folder`);
  // A real write, not access(W_OK): Windows ACLs and read-only mounts make access() answer wrongly.
  const probe = join(folder, `.hearth-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    if (NOT_WRITABLE.has(errnoCode(err) ?? '')) throw new StartFailure('folder-not-writable', `cannot write in ${folder}`);
    throw err;
  }
}

/** After a failed listen: is the port taken? (The server reports EADDRINUSE as a ConfigError sentence.) */
function portIsTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/**
 * The server's configuration for a host's start config. `envUsers`: SYNC_USERn and
 * PASSWORDS_HASHED of the headless host; the app has none (its people are Hearth's own accounts,
 * `<base>/.hearth/accounts.json`).
 */
export function configForStart(
  start: ServerStartConfig,
  env: { readonly envUsers: readonly EnvUserEntry[]; readonly passwordsHashed: boolean } = { envUsers: [], passwordsHashed: false },
): ServerConfig {
  return {
    base: start.storageFolder,
    host: start.host,
    port: start.port,
    maxPayloadMegs: start.maxPayloadMegs,
    envUsers: env.envUsers,
    passwordsHashed: env.passwordsHashed,
  };
}

/**
 * Prepares `config.base`, takes its lock and listens. `createFolder`: the folder may be made
 * (Hearth's own default folder); a folder the person chose must exist, so that an unplugged
 * drive is not replaced by an empty folder at the same path. Nothing stays held on failure.
 */
export async function startSyncServer(config: ServerConfig, createFolder: boolean, deps: SyncServerDeps = {}): Promise<RunningServer> {
  let release = (): void => {};
  let server: SyncServer | undefined;
  try {
    prepareDataFolder(config.base, createFolder);
    let locked;
    try {
      locked = acquireServerLock(config.base);
    } catch (err) {
      if (NOT_WRITABLE.has(errnoCode(err) ?? '')) throw new StartFailure('folder-not-writable', `cannot write the lock in ${config.base}`);
      throw err;
    }
    if (!locked.ok) {
      const who = locked.owner ? `process ${locked.owner.pid} on ${locked.owner.hostname}` : 'another process';
      throw new StartFailure('folder-in-use', `${locked.path} is held by ${who}`);
    }
    release = () => locked.lock.release();
    server = await createSyncServer(config, deps);
    let address;
    try {
      address = await server.listen();
    } catch (err) {
      if (err instanceof ConfigError && (await portIsTaken(config.host, config.port))) {
        throw new StartFailure('port-in-use', `port ${config.port} on ${config.host}`);
      }
      throw err;
    }
    const running = server;
    return {
      server: running,
      host: address.host,
      port: address.port,
      async stop() {
        try {
          await running.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    await server?.close().catch(() => undefined);
    release();
    if (err instanceof StartFailure) throw err;
    if (err instanceof IncompleteInstallError) throw new StartFailure('incomplete-install', err.message, { cause: err });
    throw new StartFailure('internal', err instanceof Error ? err.message : String(err), { cause: err });
  }
}
