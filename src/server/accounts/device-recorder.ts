/**
 * Keeps each device's "last synced, from where, with which app" in the device list
 * (device-store.ts) as its syncs succeed. A sync is several requests: the row is written at the
 * first, then again only when a minute has passed or the address or app changed, so a sync
 * costs one small write, not one per request.
 */
import type { RequestOutcome } from '../activity.ts';
import { isSuccessfulSync } from '../activity.ts';
import type { Logger } from '../logger.ts';
import type { DeviceStore } from './device-store.ts';

/** How stale "last synced" may get while a device syncs on (the window shows minutes). */
export const DEVICE_WRITE_INTERVAL_MS = 60_000;

export interface DeviceRecorder {
  finished(outcome: RequestOutcome, nowMs: number): void;
}

export function createDeviceRecorder(devices: DeviceStore, logger: Logger): DeviceRecorder {
  const written = new Map<string, { atMs: number; address: string; client: string }>();
  return {
    finished(outcome, nowMs) {
      const { user, device, address = '', client = '' } = outcome;
      if (user === undefined || device === undefined || !isSuccessfulSync(outcome)) return;
      const key = `${user}\u0000${device}`;
      const last = written.get(key);
      // The older protocols name the app in `meta` only: an empty client is no change.
      if (last && nowMs - last.atMs < DEVICE_WRITE_INTERVAL_MS && last.address === address && (client === '' || last.client === client))
        return;
      try {
        devices.recordSync(user, device, client, address, nowMs);
        written.set(key, { atMs: nowMs, address, client: client === '' ? (last?.client ?? '') : client });
      } catch (err) {
        // Only a record: the sync itself succeeded.
        logger.warn('could not record a device’s sync', { user, why: err instanceof Error ? err.message : String(err) });
      }
    },
  };
}
