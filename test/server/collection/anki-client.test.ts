// The final judge: the real Anki client core (the `anki` package, same Rust core as Anki
// Desktop) opens a collection we created, finds nothing to repair, and can use it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCollection } from '../../../src/server/collection/create.ts';
import { NO_ANKI_PYTHON, runPython, tempDir } from './support.ts';

const OPEN_CHECK_AND_ADD = `
import json, sys
from anki.collection import Collection
from anki.decks import DeckId

out = {}
col = Collection(sys.argv[2])
out["integrity"] = col.db.scalar("pragma integrity_check")
out["ver"] = col.db.scalar("select ver from col")
out["usn"] = col.db.scalar("select usn from col")
out["notetypes"] = [n.name for n in col.models.all_names_and_ids()]
out["decks"] = [[d.id, d.name] for d in col.decks.all_names_and_ids()]
conf = col.decks.config_dict_for_deck_id(DeckId(1))
out["deck_config"] = {"id": conf["id"], "name": conf["name"], "perDay": conf["new"]["perDay"],
                      "delays": conf["new"]["delays"], "revPerDay": conf["rev"]["perDay"]}
out["current_notetype"] = col.models.current()["name"]
problems, ok = col.fix_integrity()
out["check_ok"] = ok
out["check_text"] = problems

basic = col.models.by_name("Basic")
note = col.new_note(basic)
note["Front"] = "front"
note["Back"] = "back"
col.add_note(note, DeckId(1))
cloze = col.models.by_name("Cloze")
cnote = col.new_note(cloze)
cnote["Text"] = "{{c1::one}} {{c2::two}}"
col.add_note(cnote, DeckId(1))
out["notes"] = col.note_count()
out["cards"] = col.db.all("select did, ord from cards order by nid, ord")
out["question"] = col.get_card(col.find_cards("Front:front")[0]).question()
problems, ok = col.fix_integrity()
out["check_after_add_ok"] = ok
col.close()
json.dump(out, open(sys.argv[1], "w"))
`;

interface ClientReport {
  integrity: string;
  ver: number;
  usn: number;
  notetypes: string[];
  decks: [number, string][];
  deck_config: { id: number; name: string; perDay: number; delays: number[]; revPerDay: number };
  current_notetype: string;
  check_ok: boolean;
  check_text: string;
  notes: number;
  cards: [number, number][];
  question: string;
  check_after_add_ok: boolean;
}

test(
  'the real Anki client opens a new collection, Check Database finds no problem, and notes can be added',
  { skip: NO_ANKI_PYTHON },
  async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'collection.anki2');
    createCollection(path, { nowMs: () => Date.now() });

    const r = await runPython<ClientReport>(dir, OPEN_CHECK_AND_ADD, [path], 120_000);

    assert.equal(r.integrity, 'ok');
    assert.equal(r.ver, 18);
    // (No check of r.mod: the Python wrapper writes its own config defaults, e.g. creationOffset,
    // when it opens any collection, the official server's included.)
    assert.equal(r.usn, 0);
    assert.deepEqual(
      [...r.notetypes].sort(),
      [
        'Basic',
        'Basic (and reversed card)',
        'Basic (optional reversed card)',
        'Basic (type in the answer)',
        'Cloze',
        'Image Occlusion',
      ].sort(),
    );
    assert.deepEqual(r.decks, [[1, 'Default']]);
    assert.deepEqual(r.deck_config, { id: 1, name: 'Default', perDay: 20, delays: [1, 10], revPerDay: 200 });
    assert.equal(r.current_notetype, 'Basic');
    assert.equal(r.check_ok, true, `Check Database reported: ${r.check_text}`);
    assert.equal(r.notes, 2);
    assert.deepEqual(r.cards, [
      [1, 0],
      [1, 0],
      [1, 1],
    ]);
    assert.match(r.question, /front/);
    assert.equal(r.check_after_add_ok, true);
  },
);
