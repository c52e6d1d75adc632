#!/usr/bin/env python3
"""Builds the benchmark collections with the real Anki client core (the `anki` package in .venv).

    build_collection.py base    --out PATH --notes 20000 --revlog 50000
    build_collection.py enlarge --src PATH --out PATH --target-mib 100

`base`: a fresh collection with NOTES "Basic (and reversed card)" notes (two cards each) spread
over a few decks with tags, added through the client's own add_notes, then REVLOG review-log rows
over the past year inserted in one transaction with col.db, and the reviewed cards turned into
review cards so the scheduler state matches the log.

`enlarge`: a copy of SRC whose notes get a long "Back" field (extra explanation text), so that the
file grows to about TARGET_MIB MiB. The sort field and checksum (first field) do not change.

Both finish by running the client's Check Database and `PRAGMA integrity_check` on the result and
fail (exit 1) unless both are clean. Prints one JSON object with the counts to stdout.
Deterministic: a fixed random seed, so the cache can be rebuilt identically.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time

os.environ.setdefault("RUST_LOG", "error")

from anki.collection import AddNoteRequest, Collection  # noqa: E402

DECKS = [
    "Languages::日本語::Vocabulary",
    "Languages::日本語::Kanji",
    "Languages::Deutsch",
    "Medicine::Pharmacology",
    "Medicine::Anatomy",
    "History",
    "Geography::Capitals",
    "Programming",
]
TAGS = ["leech", "marked", "chapter01", "chapter02", "chapter03", "exam::2025", "日本語", "Ärger"]
SYLLABLES = ["ka", "mi", "to", "re", "su", "na", "lo", "ve", "qui", "dor", "ström", "ß", "é", "語", "水", "ん"]
DAY_SECS = 86_400


def words(rng: random.Random, count: int) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(count)
    )


def check(col: Collection) -> dict:
    integrity = [str(r[0]) for r in col.db.all("pragma integrity_check")]
    problems = list(col._backend.check_database())
    return {"integrity": integrity, "problems": problems, "ok": integrity == ["ok"] and not problems}


def counts(col: Collection, path: str) -> dict:
    return {
        "notes": col.note_count(),
        "cards": col.card_count(),
        "revlog": col.db.scalar("select count() from revlog"),
        "decks": len(col.decks.all_names_and_ids()),
        "path": path,
    }


def build_base(out: str, notes: int, revlog: int) -> dict:
    rng = random.Random(20_000)
    if os.path.exists(out):
        os.remove(out)
    col = Collection(out)
    try:
        # The collection was "created" a year ago, so a year of reviews fits before today.
        col.db.execute("update col set crt = crt - ?", 400 * DAY_SECS)
        col.close()
        col.reopen()
        nt = col.models.by_name("Basic (and reversed card)")
        if nt is None:
            raise SystemExit("notetype 'Basic (and reversed card)' not found")
        deck_ids = [int(col.decks.id(name)) for name in DECKS]
        requests = []
        for i in range(notes):
            note = col.new_note(nt)
            note["Front"] = f"{words(rng, 2)} <b>#{i}</b>"
            note["Back"] = f"{words(rng, rng.randint(4, 16))}<br>{words(rng, rng.randint(0, 8))}"
            note.tags = rng.sample(TAGS, rng.randint(0, 2))
            requests.append(AddNoteRequest(note=note, deck_id=deck_ids[i % len(deck_ids)]))
        col.add_notes(requests)

        today = col.sched.today
        now_ms = int(time.time() * 1000)
        card_ids = col.db.list("select id from cards order by id")
        # Reviews go to a third of the cards, several per card, like a real year of study.
        reviewed = rng.sample(card_ids, min(len(card_ids), max(1, revlog // 4)))
        used_ids: set[int] = set()
        rows = []
        per_card: dict[int, list[tuple[int, int, int]]] = {}
        for n in range(revlog):
            cid = reviewed[n % len(reviewed)]
            rid = now_ms - rng.randint(1, 365 * DAY_SECS * 1000)
            while rid in used_ids:
                rid += 1
            used_ids.add(rid)
            ease = rng.choices([1, 2, 3, 4], weights=[10, 15, 65, 10])[0]
            ivl = rng.randint(1, 200)
            per_card.setdefault(cid, []).append((rid, ivl, ease))
            rows.append((rid, cid, -1, ease, ivl, max(0, ivl // 2), 2500, rng.randint(1500, 30000), rng.choice([0, 1, 1, 1, 2, 3])))
        col.db.executemany(
            "insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) values (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        card_rows = []
        for cid, log in per_card.items():
            log.sort()
            last_id, ivl, _ = log[-1]
            lapses = sum(1 for _, _, ease in log if ease == 1)
            # "lrt" (last review time, seconds) is what the client writes when a card is answered.
            data = json.dumps({"lrt": last_id // 1000}, separators=(",", ":"))
            card_rows.append((ivl, today + rng.randint(-5, ivl), len(log), lapses, data, cid))
        col.db.executemany(
            "update cards set type = 2, queue = 2, ivl = ?, due = ?, factor = 2500, reps = ?, lapses = ?, data = ?, mod = cast(strftime('%s','now') as int), usn = -1 where id = ?",
            card_rows,
        )
        col.db.execute("update col set mod = ?", now_ms)
        col.close()
        col.reopen()
        result = check(col)
        result.update(counts(col, out))
    finally:
        if col.db is not None:
            col.close()
    result["bytes"] = os.path.getsize(out)
    return result


def build_enlarged(src: str, out: str, target_mib: float) -> dict:
    rng = random.Random(100)
    if os.path.exists(out):
        os.remove(out)
    shutil.copyfile(src, out)
    col = Collection(out)
    try:
        note_ids = col.db.list("select id from notes order by id")
        current = os.path.getsize(src)
        target = int(target_mib * 1024 * 1024)
        # A page of SQLite overflow storage per note is ~4 KiB; aim for the target overall.
        per_note = max(0, (target - current) // max(1, len(note_ids)))
        vocab = [words(rng, 1) for _ in range(5000)]

        def padding() -> str:
            parts: list[str] = []
            size = 0
            while size < per_note:
                sentence = " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 18))) + ". "
                parts.append(sentence)
                size += len(sentence.encode("utf-8"))
            return "<div>" + "".join(parts) + "</div>"

        batch = []
        for nid in note_ids:
            batch.append((padding(), nid))
            if len(batch) == 2000:
                col.db.executemany("update notes set flds = flds || ?, usn = -1 where id = ?", batch)
                batch = []
        if batch:
            col.db.executemany("update notes set flds = flds || ?, usn = -1 where id = ?", batch)
        col.db.execute("update col set mod = ?", int(time.time() * 1000))
        col.close()
        col.reopen()
        result = check(col)
        result.update(counts(col, out))
    finally:
        if col.db is not None:
            col.close()
    result["bytes"] = os.path.getsize(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    base = sub.add_parser("base")
    base.add_argument("--out", required=True)
    base.add_argument("--notes", type=int, default=20_000)
    base.add_argument("--revlog", type=int, default=50_000)
    big = sub.add_parser("enlarge")
    big.add_argument("--src", required=True)
    big.add_argument("--out", required=True)
    big.add_argument("--target-mib", type=float, default=100)
    args = parser.parse_args()
    started = time.monotonic()
    if args.cmd == "base":
        result = build_base(os.path.abspath(args.out), args.notes, args.revlog)
    else:
        result = build_enlarged(os.path.abspath(args.src), os.path.abspath(args.out), args.target_mib)
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
