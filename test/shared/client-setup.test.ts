// The setup steps (src/shared/client-setup.ts): the older apps' steps carry the exact addresses
// made from the one shown; today's steps name the apps' own menus and fields, say to log out of
// AnkiWeb first and what to answer at the first sync, and the media address stays empty.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLIENT_SETUPS,
  FIRST_SYNC_STEP,
  FROM_ANKIWEB,
  OLDER_CLIENT_SETUPS,
  SETUP_TIPS,
  olderAddresses,
} from '../../src/shared/client-setup.ts';

const ADDRESS = 'http://192.168.1.20:8080/';
const olderSteps = (id: string) => {
  const setup = OLDER_CLIENT_SETUPS.find((c) => c.id === id);
  assert.ok(setup, id);
  return setup.steps(ADDRESS);
};
const pasted = (id: string) => olderSteps(id).flatMap((s) => (s.paste ? [s.paste.value] : []));

describe('client setup steps', () => {
  it('makes the older apps’ two addresses from the one shown, with or without its "/"', () => {
    assert.deepEqual(olderAddresses(ADDRESS), { sync: `${ADDRESS}sync/`, media: `${ADDRESS}msync/` });
    assert.deepEqual(olderAddresses('http://my-pc.local:8080'), {
      sync: 'http://my-pc.local:8080/sync/',
      media: 'http://my-pc.local:8080/msync/',
    });
  });

  it('old AnkiDroid: the address as the sync url, the address + msync/ as the media sync url', () => {
    const steps = olderSteps('ankidroid-old');
    assert.match(steps[0]!.text, /Settings → Advanced → Custom sync server/);
    assert.ok(steps.some((s) => /"Use custom sync server"/.test(s.text)));
    const sync = steps.find((s) => s.text.includes('"Sync url"'));
    const media = steps.find((s) => s.text.includes('"Media sync url"'));
    assert.equal(sync?.paste?.value, ADDRESS);
    assert.equal(media?.paste?.value, 'http://192.168.1.20:8080/msync/');
    assert.ok(steps.some((s) => /Hearth username/.test(s.text) && /"Email address"/.test(s.text)));
  });

  it('old Anki on a computer: a line per system that starts Anki with SYNC_ENDPOINT and SYNC_ENDPOINT_MEDIA', () => {
    assert.deepEqual(pasted('desktop-old'), [
      // Quoted `set "NAME=value"`: an unquoted `set NAME=value & …` keeps the space before "&",
      // and Anki 2.1.50 then asks for ".../sync/%20hostKey".
      'set "SYNC_ENDPOINT=http://192.168.1.20:8080/sync/" & set "SYNC_ENDPOINT_MEDIA=http://192.168.1.20:8080/msync/" & "C:\\Program Files\\Anki\\anki.exe"',
      'SYNC_ENDPOINT="http://192.168.1.20:8080/sync/" SYNC_ENDPOINT_MEDIA="http://192.168.1.20:8080/msync/" /Applications/Anki.app/Contents/MacOS/anki',
      'SYNC_ENDPOINT="http://192.168.1.20:8080/sync/" SYNC_ENDPOINT_MEDIA="http://192.168.1.20:8080/msync/" anki',
    ]);
    const advice = OLDER_CLIENT_SETUPS.find((c) => c.id === 'desktop-old')?.advice ?? '';
    assert.match(advice, /update Anki/);
    assert.match(advice, /https:\/\/apps\.ankiweb\.net/);
  });

  it('AnkiDroid 2.16 and newer: Settings → Sync, "AnkiWeb account" to log out, "Custom sync server" under Advanced with one "Sync url" and its switch', () => {
    const steps = CLIENT_SETUPS.find((c) => c.app === 'ankidroid')?.steps ?? [];
    assert.match(steps[0]!, /Settings → Sync\.$/);
    assert.match(steps[1]!, /“AnkiWeb account”.*“Log out”/);
    const server = steps[2]!;
    assert.match(server, /under Advanced, tap “Custom sync server”, then “Sync url” \(“Sync URL” in newer versions\)/);
    assert.match(server, /the switch beside it turns on/);
    assert.match(server, /no separate media address/);
    assert.ok(!steps.join(' ').includes('Media sync url'), 'no media field in today’s AnkiDroid');
    assert.match(steps[4]!, /“Email address”.*Hearth username \(not an email address\)/);
  });

  it('Anki on a computer: Preferences, the Syncing tab, “Log Out”, “Self-hosted sync server”, the “Email” box', () => {
    const steps = CLIENT_SETUPS.find((c) => c.app === 'desktop')?.steps ?? [];
    assert.match(steps[0]!, /Tools → Preferences.*Syncing tab/);
    assert.match(steps[1]!, /“Log Out”/);
    assert.match(steps[2]!, /“Self-hosted sync server”/);
    assert.match(steps[4]!, /“Email”.*Hearth username/);
  });

  it('every app: log out of AnkiWeb first, and the first sync’s question answered; the general tips come after', () => {
    for (const c of CLIENT_SETUPS) {
      const logOut = c.steps.findIndex((s) => /logged in to AnkiWeb/.test(s));
      const server = c.steps.findIndex((s) => /paste the address above/i.test(s));
      assert.ok(logOut >= 0 && logOut < server, `${c.app}: log out before the server is set`);
      assert.ok(c.steps.includes(FIRST_SYNC_STEP), c.app);
      assert.ok(c.steps.indexOf(FIRST_SYNC_STEP) > server, `${c.app}: the first sync comes after`);
    }
    assert.match(FIRST_SYNC_STEP, /first device you sync, the one with the cards you want to keep.*“Upload to AnkiWeb”/);
    assert.match(FIRST_SYNC_STEP, /every other device choose “Download from AnkiWeb”/);
    assert.match(FROM_ANKIWEB.steps[0], /log out of AnkiWeb before/);
    assert.match(FROM_ANKIWEB.steps[0], /never asks for the Hearth username: its first sync fails with a login error/);
    assert.match(FROM_ANKIWEB.steps[1], /^Sync first the one device that has the cards you want to keep/);
    assert.match(FROM_ANKIWEB.steps[2], /choose “Download from AnkiWeb”/);
  });

  it('today’s apps: the media address stays empty, and the tips say so for both', () => {
    const ankidroid = CLIENT_SETUPS.find((c) => c.app === 'ankidroid');
    assert.ok(ankidroid?.steps.some((s) => s.includes('There is no separate media address to fill in.')));
    const mediaTip = SETUP_TIPS.find((t) => /media sync URL/.test(t)) ?? '';
    assert.match(mediaTip, /today’s apps do not need one/);
    assert.match(mediaTip, /AnkiDroid 2\.15 or older/);
    assert.match(mediaTip, /msync\//);
  });
});
