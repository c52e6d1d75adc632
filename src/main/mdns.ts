/**
 * mDNS (Bonjour / zeroconf) on the home network: while the server runs and listens on the
 * network, Hearth advertises a `_hearth._tcp` service (txt: id, path, version), so the window
 * can offer `http://<pc>.local:PORT/` besides the IP address, and another Hearth on the
 * network is noticed (two servers for one family usually means someone set up a second PC by
 * mistake). The bonjour instance is passed in (bonjour-service in the app, a fake in tests).
 */
import type { Logger } from '../server/index.ts';
import type { OtherHearth } from '../shared/api.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { ListenScope } from '../shared/settings.ts';

export const SERVICE_TYPE = 'hearth';

/** The parts of bonjour-service used here. */
export interface BonjourService {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly txt?: unknown;
  /** bonjour-service types it loosely; it takes a callback run after the goodbye packets. */
  stop?: CallableFunction;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface BonjourBrowser {
  on(event: 'up' | 'down', listener: (service: BonjourService) => void): unknown;
  stop(): void;
}

export interface BonjourLike {
  publish(options: {
    name: string;
    type: string;
    port: number;
    host?: string;
    txt?: Record<string, string>;
    disableIPv6?: boolean;
  }): BonjourService;
  find(options: { type: string }): BonjourBrowser;
  destroy(callback?: () => void): void;
}

/**
 * The name this PC answers to on the network: the first label of the OS host name, made a
 * valid DNS label, plus `.local` (macOS already reports `Annas-iMac.local`).
 */
export function localHostName(osHostname: string): string {
  const first = osHostname.replace(/\.local\.?$/i, '').split('.')[0] ?? '';
  const label = first
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 63);
  return `${label || 'hearth'}.local`;
}

export interface MdnsDeps {
  readonly bonjour: BonjourLike;
  readonly osHostname: string;
  /** Tells this Hearth's own advertisement apart from others' (random per run). */
  readonly instanceId: string;
  readonly appVersion: string;
  readonly logger: Logger;
}

export interface Mdns {
  /** `family-pc.local` */
  readonly hostName: string;
  /** The `.local` URL while advertised, else null. */
  localUrl(): string | null;
  advertise(port: number): void;
  stopAdvertising(): Promise<void>;
  otherHearths(): readonly OtherHearth[];
  onOtherHearthsChange(listener: () => void): () => void;
  close(): Promise<void>;
}

interface Txt {
  id?: unknown;
}

export function createMdns(deps: MdnsDeps): Mdns {
  const { bonjour, instanceId } = deps;
  const log = deps.logger.child('mdns');
  const hostName = localHostName(deps.osHostname);
  let advertised: { service: BonjourService; port: number } | undefined;
  const others = new Map<string, OtherHearth>();
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) l();
  };

  const keyOf = (s: BonjourService): string => `${s.name}@${s.host}:${s.port}`;
  const isOwn = (s: BonjourService): boolean => (s.txt as Txt | undefined)?.id === instanceId;

  const browser = bonjour.find({ type: SERVICE_TYPE });
  browser.on('up', (s) => {
    if (isOwn(s)) return;
    log.info('another Hearth is on the network', { name: s.name, host: s.host, port: s.port });
    others.set(keyOf(s), { name: s.name, host: s.host, port: s.port });
    changed();
  });
  browser.on('down', (s) => {
    if (others.delete(keyOf(s))) changed();
  });

  const stopAdvertising = (): Promise<void> => {
    const current = advertised;
    advertised = undefined;
    if (!current) return Promise.resolve();
    log.info('no longer advertised');
    return new Promise((resolve) => {
      // stop() sends the goodbye packets; without a callback-taking stop there is nothing to wait for.
      if (current.service.stop) current.service.stop(() => resolve());
      else resolve();
    });
  };

  return {
    hostName,
    localUrl: () => (advertised ? `http://${hostName}:${advertised.port}/` : null),
    advertise(port) {
      if (advertised?.port === port) return;
      void stopAdvertising();
      const service = bonjour.publish({
        name: `Hearth on ${hostName.replace(/\.local$/, '')}`,
        type: SERVICE_TYPE,
        port,
        host: hostName,
        txt: { id: instanceId, path: '/', version: deps.appVersion },
      });
      // A name clash or a socket error must not crash the app; the IP address still works.
      service.on('error', (err) => log.warn('advertising failed', { why: err.message }));
      advertised = { service, port };
      log.info('advertised', { host: hostName, port });
    },
    stopAdvertising,
    otherHearths: () => [...others.values()],
    onOtherHearthsChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      browser.stop();
      await stopAdvertising();
      await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
    },
  };
}

/**
 * Advertises while the server runs for the home network, and stops when it stops (or listens
 * on this PC only, where advertising would point others at an address they cannot reach).
 */
export function setupMdnsAdvertising(deps: {
  readonly mdns: Pick<Mdns, 'advertise' | 'stopAdvertising'>;
  readonly onServerChange: (listener: (state: ServerState) => void) => unknown;
  readonly listenScope: () => ListenScope;
}): void {
  deps.onServerChange((state) => {
    if (state.kind === 'running' && deps.listenScope() === 'lan') deps.mdns.advertise(state.port);
    else if (state.kind !== 'running') void deps.mdns.stopAdvertising();
  });
}
