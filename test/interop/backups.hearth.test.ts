// Backups as a family meets them, with the real Anki client against the headless server (its admin
// API is what the window calls): an old phone pressed "Upload to server" and replaced the good
// collection; the parent restores the backup Hearth kept; the good device's next sync asks for a
// full sync, it downloads, holds the backup's cards again, and later normal syncs work.
// (Hearth only: the official server keeps no backups.)
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnkiClient } from './anki-client.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { waitUntilNobodySyncs } from '../ui/support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 180_000;
const PASSWORD = 'annas long password';

describe('backups: a restore with the real Anki client', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let ui: UiServer | undefined;
  let anki: AnkiClient | undefined;
  const admin = (): UiServer => {
    assert.ok(ui);
    return ui;
  };
  const client = (): AnkiClient => {
    assert.ok(anki);
    return anki;
  };

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'hearth-backups-interop-'));
    [ui, anki] = await startTogether(startUiServer({ base: path.join(tmp, 'base') }), AnkiClient.start());
    assert.deepEqual(await admin().api.addPerson('anna', PASSWORD), { ok: true });
  });
  after(() =>
    runAll(
      () => anki?.stop(),
      () => ui?.stop(),
      () => rm(tmp, { recursive: true, force: true }),
    ),
  );

  it(
    'an old phone’s upload replaced the cards; restoring the backup brings them back to every device through a full download',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const laptop = path.join(tmp, 'laptop', 'collection.anki2');
      const oldPhone = path.join(tmp, 'old-phone', 'collection.anki2');
      await client().login(laptop, admin().syncEndpoint, 'anna', PASSWORD);
      await client().populate(laptop, { notes: 40 });
      assert.equal((await client().sync(laptop)).required, 'FULL_UPLOAD');
      await client().fullUpload(laptop);
      const good = await client().dump(laptop);

      // The old phone has three notes of its own and is told to upload over the server's copy.
      await client().login(oldPhone, admin().syncEndpoint, 'anna', PASSWORD);
      await client().populate(oldPhone, { notes: 3 });
      assert.equal((await client().sync(oldPhone)).required, 'FULL_SYNC');
      await client().fullUpload(oldPhone);

      const listed = await admin().api.listBackups('anna');
      assert.ok(listed.ok, 'listed');
      const replaced = listed.backups.find((b) => b.reason === 'before-upload');
      assert.ok(replaced, `the replaced collection is kept: ${JSON.stringify(listed.backups)}`);
      assert.equal(replaced.notes, 40);
      assert.equal(replaced.readable, true);
      assert.match(listed.rule, /last 7 days/);

      // While a device syncs, a restore is refused (and the sync counts for a few seconds after its last request).
      const during = await admin().api.restoreBackup('anna', replaced.id);
      assert.match(during.ok ? '' : during.problem, /syncing right now/);
      await waitUntilNobodySyncs(admin().api);
      assert.deepEqual(await admin().api.restoreBackup('anna', replaced.id), { ok: true });

      // Every device is asked for a full sync; the laptop takes the server's copy.
      const asked = await client().sync(laptop);
      assert.equal(asked.required, 'FULL_SYNC', 'offered the choice; the parent is told to press Download');
      await client().fullDownload(laptop);
      const back = await client().dump(laptop);
      assert.equal(back.notes.length, 40);
      assert.deepEqual(
        back.notes.map((n) => n.id).sort(),
        good.notes.map((n) => n.id).sort(),
        'the same notes as before the phone’s upload',
      );
      // And normal syncs go on from there.
      await client().populate(laptop, { notes: 2 });
      const after = await client().sync(laptop);
      assert.equal(after.required, 'NO_CHANGES');
      assert.equal(after.normal_sync_performed, true);

      // The phone's collection was kept too, before the restore replaced it.
      const again = await admin().api.listBackups('anna');
      assert.ok(again.ok && again.backups.some((b) => b.reason === 'before-restore' && b.notes === 3));
    },
  );

  it('an unknown backup or person is refused in plain words and nothing changes', { timeout: TEST_TIMEOUT_MS }, async () => {
    const r = await admin().api.restoreBackup('anna', 'collection-daily-2000-01-01T00-00-00-000Z.anki2');
    assert.match(r.ok ? '' : r.problem, /no such backup/);
    const nobody = await admin().api.listBackups('bob');
    assert.match(nobody.ok ? '' : nobody.problem, /no person called “bob”/);
  });
});
