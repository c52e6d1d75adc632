// The window's wording (src/renderer/format.ts): pure, so tested without a browser.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  clockTime,
  deviceDetail,
  deviceLine,
  formatBytes,
  lastSyncLine,
  mediaCount,
  refusedLoginSentence,
  serverStateWords,
  studyLine,
  timeAgo,
  timeUntil,
} from '../../src/renderer/format.ts';
import { IDLE_ACTIVITY } from '../../src/shared/server-process.ts';
import { errorSentence } from '../../src/shared/errors.ts';
import type { DeviceSummary, PersonSummary } from '../../src/shared/api.ts';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();

describe('format', () => {
  it('says when, in words', () => {
    assert.equal(timeAgo(null, NOW), 'never');
    assert.equal(timeAgo(ago(10_000), NOW), 'just now');
    assert.equal(timeAgo(ago(60_000), NOW), '1 minute ago');
    assert.equal(timeAgo(ago(5 * 60_000), NOW), '5 minutes ago');
    assert.equal(timeAgo(ago(2 * 3600_000 + 5 * 60_000), NOW), '2 hours ago');
    assert.equal(timeAgo(ago(30 * 3600_000), NOW), 'yesterday');
    assert.equal(timeAgo(ago(4 * 86400_000), NOW), '4 days ago');
    assert.equal(timeAgo(ago(40 * 86400_000), NOW), 'on 29 January 2026');
    assert.equal(timeAgo('not a date', NOW), 'never');
    // A clock a little ahead on the server is "just now", not the future.
    assert.equal(timeAgo(new Date(NOW + 5000).toISOString(), NOW), 'just now');
    assert.equal(timeUntil(NOW + 8000, NOW), 'in 8 seconds');
    assert.equal(timeUntil(NOW + 240_000, NOW), 'in 4 minutes');
  });

  it('says sizes and counts', () => {
    assert.equal(formatBytes(0), 'nothing yet');
    assert.equal(formatBytes(1), '1 byte');
    assert.equal(formatBytes(900), '900 bytes');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(12 * 1024 * 1024), '12 MB');
    assert.equal(formatBytes(1.25 * 1024 ** 3), '1.3 GB');
    assert.equal(mediaCount(0), 'no pictures or sounds');
    assert.equal(mediaCount(1), '1 picture or sound');
    assert.equal(mediaCount(1200), '1,200 pictures and sounds');
  });

  it('says who synced with what', () => {
    const p: PersonSummary = {
      username: 'anna',
      source: 'hearth',
      lastSyncAt: null,
      lastClient: null,
      collectionBytes: 0,
      mediaFiles: 0,
      mediaBytes: 0,
      devices: [],
      study: null,
    };
    assert.equal(lastSyncLine(p, NOW), 'Has not synced yet');
    assert.equal(
      lastSyncLine({ ...p, lastSyncAt: ago(2 * 3600_000), lastClient: 'AnkiDroid 2.20.1' }, NOW),
      'Last synced 2 hours ago with AnkiDroid 2.20.1',
    );
    assert.equal(lastSyncLine({ ...p, lastSyncAt: ago(120_000) }, NOW), 'Last synced 2 minutes ago');
  });

  it('says what a person studied in one line', () => {
    const study = { reviewsToday: 12, reviewsLast7Days: 80, daysInARow: 5, dueToday: 23, notes: 1204, cards: 2380, asOf: ago(60_000) };
    assert.equal(studyLine(null), null);
    assert.equal(studyLine(study), '12 reviews today · 80 in the last 7 days · 5 days in a row · 23 due today · 1,204 notes, 2,380 cards');
    assert.equal(
      studyLine({ ...study, reviewsToday: 1, reviewsLast7Days: 1, daysInARow: 1, dueToday: 1, notes: 1, cards: 1 }),
      '1 review today · 1 in the last 7 days · 1 day in a row · 1 due today · 1 note, 1 card',
    );
    assert.equal(
      studyLine({ ...study, reviewsToday: 0, reviewsLast7Days: 0, daysInARow: 0, dueToday: 0, notes: 0, cards: 0 }),
      'no reviews today · 0 in the last 7 days · nothing due today · 0 notes, 0 cards',
    );
    // Over a week since the last sync that changed anything: what is due is not known.
    assert.equal(
      studyLine({ ...study, dueToday: null }),
      '12 reviews today · 80 in the last 7 days · 5 days in a row · 1,204 notes, 2,380 cards',
    );
  });

  it('names a device for a parent, with its last sync, app and address', () => {
    const phone: DeviceSummary = {
      id: 'k1',
      name: 'AnkiDroid on Android',
      app: 'AnkiDroid 2.23 or 2.24',
      fromBefore: false,
      signedInAt: ago(3 * 86400_000),
      firstSyncAt: ago(3 * 86400_000),
      lastSyncAt: ago(2 * 3600_000),
      lastAddress: '192.168.1.40',
    };
    assert.equal(deviceLine(phone, NOW), 'AnkiDroid on Android — last synced 2 hours ago');
    assert.equal(deviceDetail(phone), 'AnkiDroid 2.23 or 2.24 · from 192.168.1.40');
    const fresh = { ...phone, signedInAt: ago(5 * 60_000), firstSyncAt: null, lastSyncAt: null };
    assert.equal(deviceLine(fresh, NOW), 'AnkiDroid on Android — signed in 5 minutes ago, not synced yet');
    const before = { ...phone, id: 'before', name: 'Devices signed in before this update', app: null, fromBefore: true, signedInAt: null };
    assert.equal(deviceLine(before, NOW), 'Devices signed in before this update — last synced 2 hours ago');
    assert.equal(deviceDetail({ ...before, lastAddress: null }), '');
  });

  it('says until when a device is refused after wrong passwords', () => {
    const until = NOW + 15 * 60_000;
    const at = clockTime(until);
    assert.match(at, /^\d\d:\d\d$/);
    assert.equal(
      refusedLoginSentence({ username: 'anna', address: '192.168.1.40', until: new Date(until).toISOString() }, NOW),
      `A device at 192.168.1.40 is refused for too many wrong passwords until ${at} (in 15 minutes).`,
    );
    assert.equal(
      refusedLoginSentence({ username: null, address: '192.168.1.41', until: new Date(until).toISOString() }, NOW),
      `A device at 192.168.1.41 is refused, whatever name it tries, for too many wrong passwords until ${at} (in 15 minutes).`,
    );
  });

  it('says what the server is doing', () => {
    const running = { kind: 'running', host: '0.0.0.0', port: 8080, activity: IDLE_ACTIVITY } as const;
    assert.equal(serverStateWords(running, true, NOW).headline, 'Hearth is on');
    assert.equal(serverStateWords(running, true, NOW).tone, 'ok');
    const syncing = { ...running, activity: { syncing: true, activeRequests: 1, users: [], syncingUsers: ['anna'] } };
    assert.equal(serverStateWords(syncing, true, NOW).detail, 'anna is syncing right now.');
    const two = { ...running, activity: { ...syncing.activity, syncingUsers: ['anna', 'ben'] } };
    assert.equal(serverStateWords(two, true, NOW).detail, 'anna and ben are syncing right now.');
    const unknown = { ...running, activity: { syncing: true, activeRequests: 1, users: [] } };
    assert.equal(serverStateWords(unknown, true, NOW).detail, 'A device is syncing right now.');
    assert.equal(serverStateWords({ kind: 'stopped' }, false, NOW).headline, 'Hearth is off');
    assert.match(serverStateWords({ kind: 'starting', attempt: 3 }, true, NOW).detail, /attempt 3/);
    assert.match(serverStateWords({ kind: 'stopping', activity: syncing.activity }, true, NOW).detail, /sync in progress/);
    const crashed = serverStateWords({ kind: 'crashed', error: { code: 'port-in-use' }, retryAt: null }, true, NOW);
    assert.equal(crashed.tone, 'problem');
    assert.ok(crashed.detail.startsWith(errorSentence('port-in-use')));
    assert.match(crashed.detail, /switch the sync server off and on/);
    const retrying = serverStateWords({ kind: 'crashed', error: { code: 'server-crashed' }, retryAt: NOW + 4000 }, true, NOW);
    assert.match(retrying.detail, /try again in 4 seconds/);
  });
});
