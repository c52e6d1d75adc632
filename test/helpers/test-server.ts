/** Starts a real Hearth server on 127.0.0.1:0 in a fresh temp folder; every test gets its own. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyncServer } from '../../src/server/index.ts';
import type { SyncServer } from '../../src/server/index.ts';
import type { Clock } from '../../src/server/clock.ts';
import { silentLogger } from '../../src/server/logger.ts';
import type { Logger } from '../../src/server/logger.ts';
import { hostKeyFor } from '../../src/server/accounts/host-key.ts';

export interface TestServer {
  readonly endpoint: string;
  readonly base: string;
  readonly server: SyncServer;
  hkey(userColonPass?: string): string;
  stop(): Promise<void>;
}

export async function startTestServer(
  opts: {
    users?: string[];
    maxPayloadMegs?: number;
    clock?: Clock;
    base?: string;
    passwordsHashed?: boolean;
    logger?: Logger;
    collectWhenIdle?: () => void;
    shrinkHeapWhenIdle?: () => void;
    heapShrinkDelayMs?: number;
    requestTimeoutMs?: number;
  } = {},
): Promise<TestServer> {
  const base = opts.base ?? mkdtempSync(join(tmpdir(), 'hearth-test-'));
  const users = opts.users ?? ['user:pass'];
  const server = await createSyncServer(
    {
      base,
      host: '127.0.0.1',
      port: 0,
      maxPayloadMegs: opts.maxPayloadMegs ?? 100,
      envUsers: users.map((raw, i) => ({ raw, index: i + 1 })),
      passwordsHashed: opts.passwordsHashed ?? false,
    },
    {
      logger: opts.logger ?? silentLogger,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.collectWhenIdle ? { collectWhenIdle: opts.collectWhenIdle } : {}),
      ...(opts.shrinkHeapWhenIdle ? { shrinkHeapWhenIdle: opts.shrinkHeapWhenIdle } : {}),
      ...(opts.heapShrinkDelayMs ? { heapShrinkDelayMs: opts.heapShrinkDelayMs } : {}),
      ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    },
  );
  const { port } = await server.listen();
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    base,
    server,
    hkey: (raw = users[0]!) => hostKeyFor(raw),
    async stop() {
      await server.close();
      if (!opts.base) rmSync(base, { recursive: true, force: true });
    },
  };
}
