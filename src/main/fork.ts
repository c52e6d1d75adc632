/**
 * The two ways to create the server process, both adapted to the supervisor's ServerChild:
 * Electron's utilityProcess (the app) and Node's child_process.fork (tests, and any headless
 * tool that wants the same supervised process). The server entry speaks the same protocol over
 * either channel (src/server/utility-entry.ts).
 */
import { fork as forkNodeChild } from 'node:child_process';
import type { UtilityProcess } from 'electron';
import type { ForkServer, ServerChild } from './server-host.ts';
import { pipeLines } from './log-file.ts';

/** Receives each line the server process writes to stdout or stderr. */
export type OutputSink = (line: string, stream: 'stdout' | 'stderr') => void;

/** `utilityProcess` from Electron, passed in so this module can be loaded without Electron. */
export interface UtilityProcessModule {
  fork(
    modulePath: string,
    args?: string[],
    options?: { stdio?: 'pipe'; serviceName?: string; env?: NodeJS.ProcessEnv; execArgv?: string[] },
  ): UtilityProcess;
}

/**
 * V8 flags of the server process, set before its heap is made: a young generation of 1 MiB
 * semi-spaces (docs/memory.md). Chromium reads `--js-flags` from the utility process's command
 * line before it creates the isolate, and Electron's own tests pass heap limits this way; a bare
 * V8 flag in execArgv would be dropped (docs/lab-notes/2026-12-07-electron-v8-flags.md). The
 * server also keeps the young generation from growing at run time (keepYoungGenerationSmall).
 */
export const SERVER_PROCESS_EXEC_ARGV = ['--js-flags=--max-semi-space-size=1'];

export function utilityProcessFork(utilityProcess: UtilityProcessModule, entryPath: string, onOutput: OutputSink): ForkServer {
  return (): ServerChild => {
    const child = utilityProcess.fork(entryPath, [], {
      stdio: 'pipe',
      serviceName: 'Hearth sync server',
      execArgv: SERVER_PROCESS_EXEC_ARGV,
    });
    pipeLines(child.stdout, (line) => onOutput(line, 'stdout'));
    pipeLines(child.stderr, (line) => onOutput(line, 'stderr'));
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.once('exit', listener),
      kill: () => void child.kill(),
    };
  };
}

export interface NodeForkOptions {
  readonly onOutput?: OutputSink;
  readonly env?: NodeJS.ProcessEnv;
  readonly execArgv?: string[];
}

export function nodeChildFork(entryPath: string, options: NodeForkOptions = {}): ForkServer {
  return (): ServerChild => {
    const child = forkNodeChild(entryPath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
    const onOutput = options.onOutput;
    if (onOutput) {
      pipeLines(child.stdout, (line) => onOutput(line, 'stdout'));
      pipeLines(child.stderr, (line) => onOutput(line, 'stderr'));
    } else {
      child.stdout?.resume();
      child.stderr?.resume();
    }
    // A send after the child died raises EPIPE asynchronously; the exit is reported instead.
    child.on('error', () => {});
    let exited = false;
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) =>
        void child.once('exit', (code) => {
          exited = true;
          listener(code);
        }),
      kill() {
        if (!exited) child.kill('SIGKILL');
      },
    };
  };
}
