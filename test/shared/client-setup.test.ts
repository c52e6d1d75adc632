// The setup steps (src/shared/client-setup.ts): the older apps' steps carry the exact addresses
// made from the one shown, and today's steps still say the media address stays empty.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_SETUPS, OLDER_CLIENT_SETUPS, SETUP_TIPS, olderAddresses } from '../../src/shared/client-setup.ts';

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
    assert.ok(steps.some((s) => /Hearth username/.test(s.text) && /"Email"/.test(s.text)));
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

  it('today’s apps: the media address stays empty, and the tips say so for both', () => {
    const ankidroid = CLIENT_SETUPS.find((c) => c.app === 'ankidroid');
    assert.ok(ankidroid?.steps.some((s) => s.includes('Leave "Media sync url" empty')));
    const mediaTip = SETUP_TIPS.find((t) => /media sync URL/.test(t)) ?? '';
    assert.match(mediaTip, /today’s apps do not need one/);
    assert.match(mediaTip, /AnkiDroid 2\.15 or older/);
    assert.match(mediaTip, /msync\//);
  });
});
