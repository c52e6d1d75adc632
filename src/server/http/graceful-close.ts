/**
 * Closing the HTTP server without cutting a sync and without waiting on connections that carry
 * none. Node's `server.close()` waits for every connection to end, and `closeIdleConnections()`
 * closes only those between requests: a connection that has not sent a request yet counts as
 * busy (Node's protection against slow headers), so it holds the close until its socket times
 * out. Anki's HTTP client can leave such connections: its pool keeps a connection that was
 * still being opened when a request found an idle one, unused (a stop in CI hung until the
 * socket timeout this way; a raw socket that sends nothing reproduces it). Anki keeps pooled
 * connections ~90 s.
 *
 * So a close here: stops listening; answers still to be sent say `Connection: close`; idle
 * connections close at once; and once every request in flight has been answered, whatever
 * connection is left (unused, or between requests) is closed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface GracefulClose {
  /** Resolves once the server has stopped listening and every connection has ended. */
  close(): Promise<void>;
}

export function trackForGracefulClose(server: Server): GracefulClose {
  const sockets = new Set<Socket>();
  const responses = new Set<ServerResponse>();
  let closing = false;
  let allAnswered: (() => void) | undefined;

  server.on('connection', (sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
  });
  // Before the request handler runs, so even an answer sent synchronously sees `closing`.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    responses.add(res);
    if (closing) res.shouldKeepAlive = false;
    // 'close' fires whether the answer was sent or the client went away.
    res.once('close', () => {
      responses.delete(res);
      if (responses.size === 0) allAnswered?.();
    });
  });

  return {
    async close() {
      closing = true;
      for (const res of responses) if (!res.headersSent) res.shouldKeepAlive = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Until a turn passes with no request in flight: the last answers are out (their
      // connections end by themselves, `Connection: close`), and a request that arrived on a
      // connection meanwhile is answered too. What is left then carries no request.
      do {
        if (responses.size > 0) await new Promise<void>((resolve) => (allAnswered = resolve));
        allAnswered = undefined;
        await new Promise((resolve) => setImmediate(resolve));
      } while (responses.size > 0);
      for (const sock of sockets) sock.destroy();
      await closed;
    },
  };
}
