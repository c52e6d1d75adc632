/**
 * The test's side of the stand-in Electron's remote control (electron.ts): sends commands over
 * the app process's IPC channel and matches the replies. Used for the app run from the checkout
 * (test/main/composition.test.ts) and from its package (test/package/packaged-app.test.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { apiChannel } from '../../../src/shared/api.ts';
import type { ApiMethod, ApiResult } from '../../../src/shared/api.ts';

export class AppRemote {
  #app: ChildProcess | undefined;
  #output: () => string = () => '';
  #nextId = 1;
  readonly #pending = new Map<number, (reply: { result: unknown; error?: string }) => void>();
  readonly #replyTimeoutMs: number;
  readonly #stateTimeoutMs: number;

  constructor(timeouts: { replyMs: number; stateMs: number }) {
    this.#replyTimeoutMs = timeouts.replyMs;
    this.#stateTimeoutMs = timeouts.stateMs;
  }

  /** Talks to this app process from now on; `output` is what it printed, for failure messages. */
  attach(app: ChildProcess, output: () => string): void {
    this.#app = app;
    this.#output = output;
    app.on('message', (raw) => {
      const reply = raw as { id: number; result: unknown; error?: string };
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
  }

  command(cmd: string, extra: Record<string, unknown> = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const timer = setTimeout(
        () => reject(new Error(`no reply to ${cmd} within ${this.#replyTimeoutMs} ms\n${this.#output()}`)),
        this.#replyTimeoutMs,
      );
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(reply.error));
        else resolve(reply.result);
      });
      this.#app!.send({ id, cmd, ...extra });
    });
  }

  invoke<M extends ApiMethod>(method: M, ...args: unknown[]): Promise<ApiResult<M>> {
    return this.command('invoke', { channel: apiChannel(method), args }) as Promise<ApiResult<M>>;
  }

  /** The status once the server is in state `kind` (polled), within the state timeout. */
  async waitForServer(kind: string): Promise<ApiResult<'getStatus'>> {
    const deadline = Date.now() + this.#stateTimeoutMs;
    for (;;) {
      const status = await this.invoke('getStatus');
      if (status.server.kind === kind) return status;
      if (Date.now() > deadline)
        throw new Error(`server not ${kind} within ${this.#stateTimeoutMs} ms: ${JSON.stringify(status)}\n${this.#output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
