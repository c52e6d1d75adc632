#!/usr/bin/env python3
"""The real Anki client against a running Hearth, for the release smoke test.

Run by .github/smoke/smoke-test.mjs once the packaged app serves and has a person:

    python anki_sync.py --endpoint http://127.0.0.1:PORT/ --username U --password P --folder DIR

Two devices (collections in DIR/desktop and DIR/phone) of one person, as the Anki apps do it:
the desktop logs in, adds a note and is asked to upload its collection to the empty server (a
full upload); the phone logs in and is asked to download it (a full download) and then has the
note; a normal sync from the desktop afterwards finds nothing to do. Exits 0 when all of that
held, 1 (with the reason) otherwise. Needs `pip install anki==26.9.3`.
"""

from __future__ import annotations

import argparse
import os
import sys

from anki.collection import Collection
from anki.sync_pb2 import SyncAuth, SyncCollectionResponse

REQUIRED = {v: k for k, v in SyncCollectionResponse.ChangesRequired.items()}
FRONT = "Hearth smoke test: Straße"


def log(message: str) -> None:
    print(f"anki_sync: {message}", flush=True)


def login(col: Collection, endpoint: str, username: str, password: str) -> SyncAuth:
    auth = col.sync_login(username, password, endpoint)
    if not auth.endpoint:
        auth.endpoint = endpoint
    return auth


def sync(col: Collection, auth: SyncAuth) -> str:
    out = col.sync_collection(auth, False)
    if out.HasField("new_endpoint") and out.new_endpoint:
        auth.endpoint = out.new_endpoint
    return REQUIRED.get(out.required, str(out.required))


def full_sync(col: Collection, auth: SyncAuth, upload: bool) -> None:
    # As Anki Desktop does it (aqt/sync.py): the backend takes the collection for the transfer.
    col.close_for_full_sync()
    try:
        col.full_upload_or_download(auth=auth, server_usn=None, upload=upload)
    finally:
        col.reopen(after_full_sync=True)


def expect(what: str, actual: object, expected: object) -> None:
    if actual != expected:
        raise SystemExit(f"anki_sync: FAILED: {what}: expected {expected!r}, got {actual!r}")
    log(f"ok: {what} = {actual!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--folder", required=True)
    args = parser.parse_args()
    endpoint = args.endpoint if args.endpoint.endswith("/") else args.endpoint + "/"

    from anki.buildinfo import version

    log(f"Anki {version}, server {endpoint}")
    paths = {}
    for name in ("desktop", "phone"):
        os.makedirs(os.path.join(args.folder, name), exist_ok=True)
        paths[name] = os.path.join(args.folder, name, "collection.anki2")

    desktop = Collection(paths["desktop"])
    try:
        auth = login(desktop, endpoint, args.username, args.password)
        log("desktop logged in")
        note = desktop.new_note(desktop.models.by_name("Basic"))
        note["Front"] = FRONT
        note["Back"] = "猫"
        desktop.add_note(note, desktop.decks.id("Hearth"))
        expect("first sync of the desktop", sync(desktop, auth), "FULL_UPLOAD")
        full_sync(desktop, auth, upload=True)
        log("desktop uploaded its collection")

        phone = Collection(paths["phone"])
        try:
            phone_auth = login(phone, endpoint, args.username, args.password)
            expect("first sync of the phone", sync(phone, phone_auth), "FULL_DOWNLOAD")
            full_sync(phone, phone_auth, upload=False)
            fronts = [phone.get_note(nid)["Front"] for nid in phone.find_notes("")]
            expect("notes on the phone after the download", fronts, [FRONT])
        finally:
            phone.close()

        expect("normal sync of the desktop afterwards", sync(desktop, auth), "NO_CHANGES")
    finally:
        desktop.close()
    log("the real Anki client logged in, uploaded, downloaded and synced")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as err:  # the client's own errors carry the server's answer
        print(f"anki_sync: FAILED: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        sys.exit(1)
