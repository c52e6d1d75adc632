/**
 * "Can the server listen on this port?" for the window's port setting, shared by the app and the
 * headless admin: the settings rule first (a whole number from 1024 to 65535), then a real bind
 * on the address the server listens on. The port the running server already uses counts as
 * available (it is ours). A port another program holds gets a sentence with a free alternative;
 * so does a port the host itself uses for something else (the headless admin page's), saying so.
 */
import { createServer } from 'node:net';
import type { ActionResult } from '../shared/api.ts';
import { settingProblem } from '../shared/settings.ts';

export type BindResult = 'free' | 'in-use' | 'not-allowed';

/** Tries to listen on host:port and closes again at once. */
export function tryBind(host: string, port: number): Promise<BindResult> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in-use' : 'not-allowed'));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve('free')));
  });
}

export interface PortCheckDeps {
  /** The address the server listens on (0.0.0.0 for the home network, 127.0.0.1 for this PC only). */
  readonly host: () => string;
  /** The port the running server is listening on, or null when it is not running. */
  readonly ownPort: () => number | null;
  readonly bind?: (host: string, port: number) => Promise<BindResult>;
  /** Ports the host itself uses for something else, each with what for. */
  readonly otherOwnPorts?: () => readonly OwnPort[];
}

/** A port the host uses besides the sync server's, and what for: "the admin page’s port (this page)". */
export interface OwnPort {
  readonly port: number;
  readonly use: string;
}

/** How far to look for a free port to suggest. */
const SUGGESTION_RANGE = 20;

export async function checkPort(port: number, deps: PortCheckDeps): Promise<ActionResult> {
  const bad = settingProblem('port', port);
  if (bad) return { ok: false, problem: bad };
  if (deps.ownPort() === port) return { ok: true };
  const bind = deps.bind ?? tryBind;
  const host = deps.host();
  const others = deps.otherOwnPorts?.() ?? [];
  const taken = others.find((o) => o.port === port);
  const result = taken ? 'in-use' : await bind(host, port);
  if (result === 'free') return { ok: true };
  // A nearby port that is free now, to suggest.
  let suggestion = port === 8081 ? 8082 : 8081;
  for (let p = port + 1; p <= Math.min(port + SUGGESTION_RANGE, 65535); p++) {
    if (others.some((o) => o.port === p)) continue;
    if (deps.ownPort() === p || (await bind(host, p)) === 'free') {
      suggestion = p;
      break;
    }
  }
  const choose = `Choose another, for example ${suggestion}.`;
  return {
    ok: false,
    problem: taken
      ? `Port ${port} is ${taken.use}, so the sync server cannot use it too. ${choose}`
      : result === 'in-use'
        ? `Port ${port} is already used by another program on this computer. ${choose}`
        : `Hearth is not allowed to use port ${port} on this computer. ${choose}`,
  };
}
