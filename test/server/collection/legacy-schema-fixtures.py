"""Collections made and read by the real Anki library, for test/server/collection/legacy-schema.test.ts.

Runs under two interpreters: the current library (the repository's .venv, anki 26.9.3) and the
library of Anki 2.1.50 (a sync-protocol-10 client, whose uploads are schema-11 files and which
can only take schema-11 downloads). Usage: python legacy-schema-fixtures.py COMMAND ARGS...

  make PATH upload|stored build a collection with notes of several notetypes (cloze included),
                          nested and filtered decks, deck options (one with the low initial ease
                          of the schema-15 bug), tags, config, reviews and deletions. "upload":
                          then exactly what a client does before a full upload (usns cleared,
                          deletions dropped, closed as schema 11 when the library is 2.1.50).
                          "stored": close it as a server stores it after syncs (the library's
                          pending usn -1 replaced by server usns, deletions kept, schema 18)
  reference-upgrade PATH [server]
                          open with the library's backend alone (which upgrades an older file,
                          as the official server does with an upload) and close
  reference-downgrade PATH
                          open and close as schema 11 (what the official server sends a legacy
                          client as its full download, and what a legacy client uploads)
  client-download PATH OUT
                          what a legacy client does with a full download: a plain SQLite
                          connection (no unicase) must find integrity "ok" and journal mode
                          "delete"; then it opens the file as a collection (upgrading it) and
                          the content it sees is written to OUT as JSON
  dump PATH OUT           the content the library sees, as JSON
  check PATH OUT          Check Database on the file: its problems, and the file's integrity
"""

import json
import sqlite3
import sys


def backend(server=False):
    from anki._backend import RustBackend

    return RustBackend(server=server)


def open_backend(path, server=False):
    b = backend(server)
    b.open_collection(collection_path=path, media_folder_path="", media_db_path="")
    return b


def make(path, mode):
    from anki.collection import Collection

    col = Collection(path)
    mm, dm = col.models, col.decks

    # Decks: nested, with a description and a collapsed parent.
    languages = dm.id("Languages")
    french = dm.id("Languages::French")
    verbs = dm.id("Languages::French::Verbs")
    geography = dm.id("Geography")
    deck = dm.get(french)
    deck["desc"] = "French <b>words</b>"
    dm.save(deck)
    deck = dm.get(languages)
    deck["collapsed"] = True
    deck["browserCollapsed"] = True
    dm.save(deck)

    # Deck options: one set changed everywhere, one with the low initial ease a schema-15 bug left
    # behind (1.3: an upgrade puts it back to 2.5 and fixes the cards' factors).
    intense = dm.add_config_returning_id("Intense")
    conf = dm.get_config(intense)
    conf["new"].update({"perDay": 50, "delays": [0.5, 5, 30], "initialFactor": 2300, "ints": [2, 5, 0], "order": 0})
    conf["rev"].update({"perDay": 500, "ease4": 1.45, "ivlFct": 0.9, "maxIvl": 3650, "hardFactor": 1.15})
    conf["lapse"].update({"delays": [15], "mult": 0.25, "minInt": 2, "leechFails": 6, "leechAction": 0})
    conf.update({"maxTaken": 30, "autoplay": False, "timer": 1, "replayq": False})
    dm.update_config(conf)
    for did in (french, verbs):
        deck = dm.get(did)
        deck["conf"] = intense
        dm.save(deck)
    low = dm.add_config_returning_id("Low ease")
    conf = dm.get_config(low)
    conf["new"]["initialFactor"] = 1300
    dm.update_config(conf)
    deck = dm.get(geography)
    deck["conf"] = low
    dm.save(deck)

    # Notetypes: the stock ones plus a copy of Basic with a third field and a second card.
    basic = mm.by_name("Basic")
    vocab = mm.copy(basic, add=False)
    vocab["name"] = "Vocab"
    mm.add_field(vocab, mm.new_field("Notes"))
    template = mm.new_template("Reverse")
    template["qfmt"] = "{{Back}}"
    template["afmt"] = "{{FrontSide}}<hr id=answer>{{Front}}<br>{{Notes}}"
    mm.add_template(vocab, template)
    vocab["css"] += "\n.card { color: navy; }"
    mm.add_dict(vocab)
    vocab = mm.by_name("Vocab")
    cloze = mm.by_name("Cloze")
    reversed_ = mm.by_name("Basic (and reversed card)")

    def add(notetype, fields, did, tags):
        note = col.new_note(notetype)
        for name, value in fields.items():
            note[name] = value
        note.tags = tags
        col.add_note(note, did)
        return note

    add(basic, {"Front": "capital of France", "Back": "Paris"}, geography, ["geo", "Europe::France"])
    add(basic, {"Front": "capital of Peru", "Back": "Lima"}, geography, ["geo", "europe::peru", "marked"])
    add(reversed_, {"Front": "chat", "Back": "cat"}, french, ["french", "animals"])
    add(vocab, {"Front": "aller", "Back": "to go", "Notes": "irregular"}, verbs, ["french::verbs", "Irregular"])
    add(vocab, {"Front": "être", "Back": "to be", "Notes": ""}, verbs, ["french::verbs"])
    add(cloze, {"Text": "{{c1::Ottawa}} is the capital of {{c2::Canada}}"}, geography, ["geo"])
    add(basic, {"Front": "to delete", "Back": "gone"}, languages, ["temporary"])
    doomed = add(basic, {"Front": "doomed", "Back": "deleted"}, languages, [])
    col.remove_notes([doomed.id])
    spare = dm.id("Spare")
    dm.remove([spare])

    # Reviews: the Geography cards become review cards (revlog rows), some with a low factor.
    for cid in col.find_cards("deck:Geography"):
        col.db.execute(
            "update cards set type = 2, queue = 2, ivl = 10, due = ?, factor = 1300, reps = 3 where id = ?",
            col.sched.today + 5,
            cid,
        )
        col.db.execute(
            "insert into revlog values (?, ?, -1, 3, 10, 4, 1300, 6000, 1)",
            cid + 1,
            cid,
        )

    # A filtered deck pulling a Geography card (its home deck, odid, uses the low-ease options).
    filtered = col.sched.get_or_create_filtered_deck(deck_id=0)
    filtered.name = "Filtered review"
    filtered.config.search_terms[0].search = "deck:Geography capital"
    filtered.config.search_terms[0].limit = 1
    col.sched.add_or_update_filtered_deck(filtered)
    col.db.execute("update cards set factor = 1500 where odid != 0")
    # A card above the low-ease limit, which the upgrade must leave alone: chosen after the filtered
    # deck is built, among the cards it did not pull (it picks at random).
    kept = col.db.scalar("select min(id) from cards where did = ? and odid = 0 and factor > 0", geography)
    col.db.execute("update cards set factor = 2100 where id = ?", kept)

    # Config: nested values whose keys are out of order, floats and a 64-bit integer.
    col.set_config("hearthNested", {"zeta": [1, 2.5, {"b": True, "a": None}], "alpha": "x"})
    col.set_config("hearthFloats", [0.1, 1e-05, 1e-06, 1.5e16, 1e17, 2.0, -0.5])
    col.set_config("hearthBig", 9007199254740993)
    col.set_config("activeCols", ["noteFld", "template", "cardDue", "deck"])
    col.set_config("curDeck", verbs)

    if mode == "upload":
        # The 2.1.50 client's full upload: the Python side lets go of the collection, then the
        # backend clears the pending usns (before_upload) and closes it as schema 11.
        col.close_for_full_sync()
        col._backend.before_upload()
        col._backend.close_collection(downgrade_to_schema11=True)
        return
    # A server's copy holds no pending changes: what the client sent took the server's usn.
    for table in ("notes", "cards", "revlog", "graves", "decks", "deck_config", "notetypes", "templates", "tags", "config"):
        col.db.execute(f"update {table} set usn = 3 where usn = -1")
    col.db.execute("update col set usn = 4")
    col.close()


def reference_upgrade(path, server):
    b = open_backend(path, server)
    b.close_collection(downgrade_to_schema11=False)


def reference_downgrade(path):
    b = open_backend(path)
    b.close_collection(downgrade_to_schema11=True)


def client_download(path, out):
    # As the legacy client's full download: a plain connection, no unicase collation.
    db = sqlite3.connect(path)
    report = {
        "integrity": db.execute("pragma integrity_check").fetchone()[0],
        "journal_mode": db.execute("pragma journal_mode").fetchone()[0],
    }
    db.execute("update col set ls = mod")
    db.commit()
    db.close()
    report["content"] = content(path)
    json.dump(report, open(out, "w"))


def content(path):
    """What the library sees in the collection: its legacy objects, config and rows."""
    from anki.collection import Collection

    col = Collection(path)
    out = {
        "ver": col.db.scalar("select ver from col"),
        "notetypes": sorted(col.models.all(), key=lambda m: m["id"]),
        "decks": sorted(col.decks.all(), key=lambda d: d["id"]),
        "deck_configs": sorted(col.decks.all_config(), key=lambda c: c["id"]),
        "tags": sorted(col.tags.all()),
        "config": {k: col.get_config(k) for k in sorted(col.all_config().keys())},
        "notes": col.db.all("select id, guid, mid, mod, usn, tags, flds, flags, data from notes order by id"),
        "cards": col.db.all("select * from cards order by id"),
        "revlog": col.db.all("select * from revlog order by id"),
        "graves": sorted(col.db.all("select oid, type, usn from graves")),
    }
    col.close()
    return out


def dump(path, out):
    json.dump(content(path), open(out, "w"))


def check(path, out):
    from anki.collection import Collection

    col = Collection(path)
    problems = list(col._backend.check_database())
    report = {"problems": problems, "integrity": col.db.scalar("pragma integrity_check")}
    col.close()
    json.dump(report, open(out, "w"))


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "make":
        make(args[0], args[1])
    elif command == "reference-upgrade":
        reference_upgrade(args[0], len(args) > 1 and args[1] == "server")
    elif command == "reference-downgrade":
        reference_downgrade(args[0])
    elif command == "client-download":
        client_download(args[0], args[1])
    elif command == "dump":
        dump(args[0], args[1])
    elif command == "check":
        check(args[0], args[1])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
