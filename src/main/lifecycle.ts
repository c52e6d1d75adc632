/**
 * Quitting waits for the server: the first quit request (tray, window, OS shutdown, Cmd+Q) is
 * held while everything stops gracefully — a sync in progress finishes, the folder lock is
 * released — and then the app quits for real.
 */
import type { Logger } from '../server/index.ts';

/** The parts of Electron's `app` used here. */
export interface QuitApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  quit(): void;
}

export interface GracefulQuitDeps {
  readonly app: QuitApp;
  /** Stops the server (waiting for in-flight syncs), mDNS, and anything else holding resources. */
  readonly shutDown: () => Promise<void>;
  /** Called once when quitting starts (e.g. to let the window close instead of hiding). */
  readonly onQuitting: () => void;
  readonly logger: Logger;
}

export function setupGracefulQuit(deps: GracefulQuitDeps): void {
  const log = deps.logger.child('lifecycle');
  let phase: 'running' | 'stopping' | 'done' = 'running';
  // A tray app stays alive without windows; the window only hides on close anyway.
  deps.app.on('window-all-closed', () => {});
  deps.app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    log.info('quitting: stopping the server first');
    deps.onQuitting();
    deps
      .shutDown()
      .catch((err: unknown) => log.error('error while shutting down', { why: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        phase = 'done';
        deps.app.quit();
      });
  });
}
