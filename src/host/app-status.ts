/**
 * The status the window and the tray see, computed from the parts that own it (the server's
 * state, the settings, the network interfaces, mDNS, a data move in progress). Pure; used by the
 * desktop app (src/main/index.ts) and the headless host (src/headless/headless.ts) alike.
 */
import type { AppStatus, OtherHearth, StorageMove, SyncAddress } from '../shared/api.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { Settings } from '../shared/settings.ts';
import { rankLanAddresses, syncUrl } from './lan-addresses.ts';
import type { NetworkInterfaces } from './lan-addresses.ts';

export interface StatusInputs {
  readonly server: ServerState;
  readonly settings: Settings;
  readonly interfaces: NetworkInterfaces;
  readonly localUrl: string | null;
  readonly otherHearths: readonly OtherHearth[];
  readonly logFile: string;
  readonly storageMove: StorageMove;
  /** The app can open the system's folder picker; a browser on the headless admin page cannot. */
  readonly canPickFolder: boolean;
}

/** Where Anki can reach the running server, best first. */
export function syncAddresses(server: ServerState, settings: Settings, interfaces: NetworkInterfaces): SyncAddress[] {
  if (server.kind !== 'running') return [];
  const loopback: SyncAddress = { address: '127.0.0.1', interfaceName: 'this PC', kind: 'this-pc', url: syncUrl('127.0.0.1', server.port) };
  if (settings.listen === 'this-pc') return [loopback];
  const lan = rankLanAddresses(interfaces, server.port);
  // No network right now (a laptop off Wi-Fi): Anki on this PC can still sync.
  return lan.length > 0 ? lan : [loopback];
}

export function buildAppStatus(inputs: StatusInputs): AppStatus {
  return {
    server: inputs.server,
    serverEnabled: inputs.settings.serverEnabled,
    listen: inputs.settings.listen,
    addresses: syncAddresses(inputs.server, inputs.settings, inputs.interfaces),
    localUrl: inputs.server.kind === 'running' ? inputs.localUrl : null,
    otherHearths: inputs.otherHearths,
    logFile: inputs.logFile,
    port: inputs.settings.port,
    storageFolder: inputs.settings.storageFolder,
    storageMove: inputs.storageMove,
    firstRun: !inputs.settings.firstRunDone,
    canPickFolder: inputs.canPickFolder,
    throttledLogins:
      inputs.server.kind === 'running'
        ? (inputs.server.activity.throttled ?? []).map((t) => ({
            username: t.username,
            address: t.address,
            until: new Date(t.untilMs).toISOString(),
          }))
        : [],
  };
}
