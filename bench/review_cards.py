#!/usr/bin/env python3
"""Answers (reviews) a fixed set of cards on a device with the real Anki client's scheduler.

    review_cards.py --device PATH --cards 2000 [--seed 2000]

Used by bench/normal-sync.bench.ts to make the changes a normal sync then pushes: COUNT cards,
picked with a fixed seed from all cards of the collection (new, learning and review cards alike),
are answered through the v3 scheduler exactly as the desktop app answers them (get the card's
scheduling states, build the answer, `answer_card`), ratings cycling Good, Again, Good, Easy,
Hard, Good. Each answer changes the card (usn -1) and adds one revlog row, so a normal sync then
sends COUNT cards and COUNT revlog rows. The device must not be open elsewhere (the client holds
collections with an exclusive lock). Prints one JSON object: counts and seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("RUST_LOG", "error")

from anki.collection import Collection  # noqa: E402
from anki.scheduler.v3 import CardAnswer  # noqa: E402

RATINGS = [CardAnswer.GOOD, CardAnswer.AGAIN, CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.HARD, CardAnswer.GOOD]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", required=True)
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2000)
    args = parser.parse_args()
    started = time.monotonic()
    col = Collection(os.path.abspath(args.device))
    try:
        revlog_before = col.db.scalar("select count() from revlog")
        all_ids = col.db.list("select id from cards order by id")
        chosen = sorted(random.Random(args.seed).sample(all_ids, min(args.cards, len(all_ids))))
        for i, cid in enumerate(chosen):
            card = col.get_card(cid)
            card.start_timer()
            states = col._backend.get_scheduling_states(card.id)
            answer = col.sched.build_answer(card=card, states=states, rating=RATINGS[i % len(RATINGS)])
            col.sched.answer_card(answer)
        pending_cards = col.db.scalar("select count() from cards where usn = -1")
        pending_revlog = col.db.scalar("select count() from revlog where usn = -1")
        revlog_after = col.db.scalar("select count() from revlog")
    finally:
        col.close()
    print(
        json.dumps(
            {
                "answered": len(chosen),
                "pending_cards": pending_cards,
                "pending_revlog": pending_revlog,
                "revlog_added": revlog_after - revlog_before,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
