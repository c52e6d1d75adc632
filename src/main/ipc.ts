/**
 * Registers the renderer ⇄ main API (src/shared/api.ts) with ipcMain. Every method of the
 * contract is registered from the same list the preload uses, `handlers` must implement all of
 * them (a missing one is a compile error), and each call is checked before its handler runs:
 * the sender must be Hearth's own window, the arguments must pass the contract's checker.
 */
import { API_METHODS, HEARTH_API, apiChannel } from '../shared/api.ts';
import type { ApiHandlers } from '../shared/api.ts';
import type { Logger } from '../server/index.ts';

/** The parts of Electron's IpcMainInvokeEvent used here. */
export interface IpcInvokeEvent {
  readonly senderFrame: { readonly url: string } | null;
}

/** The parts of Electron's ipcMain used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface RegisterOptions {
  /** Whether a call comes from a page Hearth loaded (its own index.html). */
  readonly isTrustedSender: (event: IpcInvokeEvent) => boolean;
  readonly logger: Logger;
}

/** Thrown into the renderer; the message is deliberately short (no internals). */
export class IpcRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcRefused';
  }
}

export function registerApi(ipcMain: IpcMainLike, handlers: ApiHandlers, options: RegisterOptions): () => void {
  const log = options.logger.child('ipc');
  for (const name of API_METHODS) {
    const spec = HEARTH_API[name];
    // The contract ties each handler to its own argument list; TypeScript cannot follow that
    // through the loop variable, so the call goes through an untyped view of the same function.
    const handler = handlers[name] as (...args: readonly unknown[]) => unknown;
    ipcMain.handle(apiChannel(name), async (event, ...args) => {
      if (!options.isTrustedSender(event)) {
        log.warn('refused a call from an unknown page', { method: name, url: event.senderFrame?.url ?? 'none' });
        throw new IpcRefused('not allowed');
      }
      const parsed = spec.parseArgs(args);
      if (!parsed) {
        log.warn('refused a call with invalid arguments', { method: name });
        throw new IpcRefused(`invalid arguments for ${name}`);
      }
      return handler(...parsed);
    });
  }
  return () => {
    for (const name of API_METHODS) ipcMain.removeHandler(apiChannel(name));
  };
}
