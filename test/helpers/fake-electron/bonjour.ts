/** Stand-in for bonjour-service: records what would be advertised, sends nothing. */
import { EventEmitter } from 'node:events';

export const published: { name: string; type: string; port: number; stopped: boolean }[] = [];

class Service extends EventEmitter {
  readonly entry: (typeof published)[number];
  readonly name: string;
  readonly host: string;
  readonly port: number;
  constructor(name: string, host: string, port: number) {
    super();
    this.name = name;
    this.host = host;
    this.port = port;
    this.entry = { name, type: 'hearth', port, stopped: false };
    published.push(this.entry);
  }
  stop(callback?: () => void): void {
    this.entry.stopped = true;
    setImmediate(() => callback?.());
  }
}

export class Bonjour {
  publish(options: { name: string; host: string; port: number }): Service {
    return new Service(options.name, options.host, options.port);
  }
  find(): EventEmitter & { stop(): void } {
    return Object.assign(new EventEmitter(), { stop() {} });
  }
  destroy(callback?: () => void): void {
    setImmediate(() => callback?.());
  }
}
