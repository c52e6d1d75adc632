/** A scriptable stand-in for the server process, for supervisor tests. */
import type { ForkServer, ServerChild } from '../../src/main/server-host.ts';
import type { MainToServer, ServerToMain } from '../../src/shared/server-process.ts';

/** How a fake child answers: by default `ready` on start and `stopped` + exit 0 on stop. */
export interface FakeBehaviour {
  onStart?: (child: FakeServerChild) => void;
  onStop?: (child: FakeServerChild) => void;
  /** Answers `check-credentials`; by default `credentials-checked` at once. */
  onCheckCredentials?: (child: FakeServerChild) => void;
  /** Whether kill() makes the process exit (a stuck process ignores it). */
  exitsOnKill?: boolean;
}

let nextPid = 4000;

export class FakeServerChild implements ServerChild {
  readonly pid = nextPid++;
  readonly sent: MainToServer[] = [];
  killed = false;
  exited = false;
  readonly #behaviour: FakeBehaviour;
  #onMessage: ((message: unknown) => void) | undefined;
  #onExit: ((code: number | null) => void) | undefined;

  constructor(behaviour: FakeBehaviour) {
    this.#behaviour = behaviour;
  }

  send(message: MainToServer): void {
    this.sent.push(message);
    // Answer asynchronously, like a real process.
    queueMicrotask(() => {
      if (message.type === 'start') (this.#behaviour.onStart ?? ((c) => c.emit({ type: 'ready', host: '127.0.0.1', port: 8080 })))(this);
      else if (message.type === 'check-credentials')
        (this.#behaviour.onCheckCredentials ?? ((c) => c.emit({ type: 'credentials-checked' })))(this);
      else if (message.type === 'stop')
        (
          this.#behaviour.onStop ??
          ((c) => {
            c.emit({ type: 'stopped' });
            c.exit(0);
          })
        )(this);
    });
  }
  onMessage(listener: (message: unknown) => void): void {
    this.#onMessage = listener;
  }
  onExit(listener: (code: number | null) => void): void {
    this.#onExit = listener;
  }
  kill(): void {
    this.killed = true;
    if (this.#behaviour.exitsOnKill ?? true) queueMicrotask(() => this.exit(null));
  }

  emit(message: ServerToMain | Record<string, unknown>): void {
    if (!this.exited) this.#onMessage?.(message);
  }
  exit(code: number | null): void {
    if (this.exited) return;
    this.exited = true;
    this.#onExit?.(code);
  }
}

export function fakeFork(behaviours: FakeBehaviour[] | FakeBehaviour = {}): { fork: ForkServer; children: FakeServerChild[] } {
  const children: FakeServerChild[] = [];
  const fork: ForkServer = () => {
    const b = Array.isArray(behaviours) ? (behaviours[children.length] ?? behaviours[behaviours.length - 1] ?? {}) : behaviours;
    const child = new FakeServerChild(b);
    children.push(child);
    return child;
  };
  return { fork, children };
}
