#!/usr/bin/env python3
"""Drives the real Anki client core (the `anki` Python package) for interop tests.

Protocol: JSON lines. One request object per line on stdin, one response line
on stdout, strictly in order:

    request : {"id": <any, echoed>, "cmd": "<command>", ...arguments}
    success : {"id": ..., "ok": true, "result": <value>}
    failure : {"id": ..., "ok": false, "error": "<ExceptionClass>: <message>",
               "kind": "<classified kind>", "backend_kind": "<BackendError.Kind name>|null",
               "message": "<message>"}

A "device" is the path of a collection file (*.anki2). Collections are opened
lazily on first use and kept open until `close` or `quit`. Each device keeps
the SyncAuth obtained by `login` (or `set_auth`).

Commands (arguments besides "cmd"/"id"):
    ping           {}                                           -> {"anki_version"}
    login          {device, endpoint, username, password}       -> {"hkey", "endpoint"}
    set_auth       {device, endpoint, hkey}                     -> {}
    populate       {device, notes, decks?, tags?, reviews?}     -> counts
    sync           {device, media?: false}                      -> {"required", "server_message",
                                                                    "server_media_usn", "host_number",
                                                                    "new_endpoint", "normal_sync_performed"}
    sync_status    {device}                                     -> {"required", "new_endpoint"}
    full_upload    {device, server_usn?}                        -> {}   (server_usn = media usn;
                                                                    null/absent skips media)
    full_download  {device, server_usn?}                        -> {}
    sync_media     {device, timeout?: 120}                      -> {"checked", "added", "removed"}
    media_write    {device, name, data_b64}                     -> {"name"}  (col.media.write_data;
                                                                    the name the client chose)
    media_trash    {device, names}                              -> {}   (col.media.trash_files)
    media_files    {device}                                     -> {"dir", "files": [{"name", "size",
                                                                    "sha1"}]} (files in the media
                                                                    folder, sorted by name)
    dump           {device}                                     -> canonical collection JSON
    import_colpkg  {device, path}                               -> {}   (File → Import of a .colpkg:
                                                                    the device's collection and media
                                                                    are replaced by the package's)
    check          {device}                                     -> {"problems": [...], "integrity": [...], "ok"}
    exec_sql       {device, sql, args?: []}                     -> rows (list of lists)
    study_figures  {device}                                     -> the client's own figures of what
                                                                    was studied (see cmd_study_figures)
    close          {device}                                     -> {}   (forgets its auth too)
    quit           {}                                           -> {} (then the process exits)
    add_notes, edit_note, review, … (editing commands for the normal-sync suite: see
                   "editing commands" below)

Error kinds: "auth", "conflict", "server_error", "client_too_old", "clock_incorrect",
"db_check_required", "resync_required", "upload_too_large", "sync_not_started",
"server_message", "sync_other", "network", "interrupted", "db", "io",
"invalid_input", "not_found", "backend", "no_auth", "bad_request", "driver".

stdout is reserved for the protocol: file descriptor 1 is redirected to stderr
at start-up so that nothing the library prints can corrupt the stream.

Old clients: the same driver runs under anki 2.1.50–2.1.56 (sync protocol 10;
test/interop/anki-client.ts starts it with .venv-<version>/bin/python). The
commands answer the same; what differs is handled in "old clients" below:
    - the endpoint reaches the client through SYNC_ENDPOINT / SYNC_ENDPOINT_MEDIA,
      set from the device's endpoint right before each operation;
    - sync's "server_media_usn" is null (their sync reply has no media usn) and
      "new_endpoint" is always null;
    - sync_media (and the media step of sync / full_upload / full_download) runs
      to its end in the call;
    - a sync error that is not one of the client's own messages is the server's
      text, and is classified "server_message" (they have no SYNC_SERVER_MESSAGE).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import sqlite3
import sys
import threading
import time
import traceback
from typing import Any, Callable

# --- keep the protocol stream clean ----------------------------------------
_proto_fd = os.dup(1)
os.dup2(2, 1)
sys.stdout = sys.stderr
_proto = os.fdopen(_proto_fd, "w", encoding="utf-8", newline="\n", buffering=1)
_stdin = open(sys.stdin.fileno(), "r", encoding="utf-8", newline="\n", closefd=False)

os.environ.setdefault("RUST_LOG", "error")

# anki.collection first: 2.1.50 cannot import anki._backend on its own (circular import).
from anki.collection import Collection  # noqa: E402  isort: skip
import anki._backend as _backend_mod  # noqa: E402
from anki import backend_pb2, sync_pb2  # noqa: E402
from anki.buildinfo import version as ANKI_VERSION  # noqa: E402
from anki.errors import (  # noqa: E402
    BackendIOError,
    DBError,
    Interrupted,
    InvalidInput,
    NetworkError,
    NotFoundError,
    SyncError,
    SyncErrorKind,
)
from anki.media import media_paths_from_col_path  # noqa: E402

# The python layer collapses several backend error kinds (for instance
# SYNC_SERVER_MESSAGE becomes a plain BackendError). Keep the raw kind on the
# exception so that errors can be classified precisely.
_orig_to_pylib = _backend_mod.backend_exception_to_pylib


def _to_pylib_with_kind(err: backend_pb2.BackendError) -> Exception:
    exc = _orig_to_pylib(err)
    try:
        exc.backend_kind = backend_pb2.BackendError.Kind.Name(err.kind)  # type: ignore[attr-defined]
    except Exception:
        exc.backend_kind = str(err.kind)  # type: ignore[attr-defined]
    exc.backend_context = getattr(err, "context", "")  # type: ignore[attr-defined]
    return exc


_backend_mod.backend_exception_to_pylib = _to_pylib_with_kind


# --- old clients (2.1.50–2.1.56) ----------------------------------------------
# Clients before 2.1.57 speak sync protocol 10 and have an older Python API; the
# commands below branch on LEGACY where the two differ (see the module docstring).


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


LEGACY = _version_tuple(ANKI_VERSION) < (2, 1, 57)

try:
    from anki.errors import BackendError
except ImportError:  # 2.1.50: the backend's errors derive from LocalizedError
    from anki.errors import LocalizedError as BackendError

CHANGES_REQUIRED = {
    v: k for k, v in sync_pb2.SyncCollectionResponse.ChangesRequired.items()
}
STATUS_REQUIRED = {v: k for k, v in sync_pb2.SyncStatusResponse.Required.items()}


class DriverError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Device:
    def __init__(self, path: str) -> None:
        self.path = path
        self.col: Collection | None = None
        self.auth: sync_pb2.SyncAuth | None = None
        # The server's base URL (with trailing slash). Current clients keep it in the
        # SyncAuth; old ones read it from the environment (see sync_auth).
        self.endpoint = ""

    def open(self) -> Collection:
        if self.col is None:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            self.col = Collection(self.path)
        elif self.col.db is None:
            # a previous full sync failed before the collection was reattached
            self.col.reopen()
        return self.col

    def require_auth(self) -> sync_pb2.SyncAuth:
        if self.auth is None:
            raise DriverError("no_auth", f"device {self.path} has not logged in")
        return self.auth

    def sync_auth(self) -> sync_pb2.SyncAuth:
        """The auth for a sync operation, with an old client pointed at this device's server."""
        auth = self.require_auth()
        if LEGACY:
            point_legacy_client_at(self.endpoint)
        return auth

    def close(self) -> None:
        if self.col is not None:
            if self.col.db is not None:
                self.col.close()
            self.col = None


devices: dict[str, Device] = {}


def device(req: dict[str, Any]) -> Device:
    path = req.get("device")
    if not isinstance(path, str) or not path:
        raise DriverError("bad_request", "missing 'device' (collection file path)")
    path = os.path.abspath(path)
    if path not in devices:
        devices[path] = Device(path)
    return devices[path]


def normalize_endpoint(endpoint: str) -> str:
    # The client resolves "sync/..." relative to the endpoint URL, so a base
    # path without a trailing slash would lose its last segment.
    return endpoint if endpoint.endswith("/") else endpoint + "/"


def point_legacy_client_at(endpoint: str) -> None:
    """Old clients have no endpoint argument: they read these two variables each
    time they start an operation (login, each sync, each full sync, each media
    sync; 2.1.50:rslib/src/sync/http_client.rs sync_endpoint(),
    2.1.50:rslib/src/media/sync.rs media_sync_endpoint()), and use them as URL
    prefixes verbatim. Setting them right before each operation lets one driver
    talk to several servers. os.environ also updates the C environment Rust reads.
    """
    os.environ["SYNC_ENDPOINT"] = endpoint + "sync/"
    os.environ["SYNC_ENDPOINT_MEDIA"] = endpoint + "msync/"


# --- error classification ----------------------------------------------------


def classify(exc: BaseException, col: Collection | None) -> str:
    if isinstance(exc, DriverError):
        return exc.kind
    backend_kind = getattr(exc, "backend_kind", None)
    if isinstance(exc, SyncError):
        if exc.kind == SyncErrorKind.AUTH:
            return "auth"
        msg = str(exc)
        if col is not None:
            tr = col.tr
            known: list[tuple[str, Callable[[], str]]] = [
                ("conflict", tr.sync_conflict),
                ("server_error", tr.sync_server_error),
                ("client_too_old", tr.sync_client_too_old),
                ("clock_incorrect", tr.sync_clock_off),
                ("db_check_required", tr.sync_sanity_check_failed),
                ("resync_required", tr.sync_resync_required),
            ]
            for kind, fn in known:
                try:
                    if msg == fn():
                        return kind
                except Exception:
                    pass
            try:
                prefix = tr.sync_upload_too_large(details="\x00").split("\x00")[0]
                prefix = prefix.split("\u2068")[0]
                if prefix and msg.startswith(prefix):
                    return "upload_too_large"
            except Exception:
                pass
        if "sync not started" in msg.lower():
            return "sync_not_started"
        if LEGACY and exc.kind == SyncErrorKind.OTHER:
            # Old clients report a server's text (meta's message, a refused upload's
            # reply) as a plain OTHER error carrying that text: every other sync error
            # they raise is one of their own messages, matched above.
            return "server_message"
        return "sync_other"
    if backend_kind == "SYNC_SERVER_MESSAGE":
        return "server_message"
    if isinstance(exc, NetworkError):
        return "network"
    if isinstance(exc, Interrupted):
        return "interrupted"
    if isinstance(exc, DBError):
        return "db"
    if isinstance(exc, BackendIOError):
        return "io"
    if isinstance(exc, InvalidInput):
        return "invalid_input"
    if isinstance(exc, NotFoundError):
        return "not_found"
    if isinstance(exc, BackendError):
        return "backend"
    return "driver"


# --- commands ---------------------------------------------------------------


def cmd_ping(req: dict[str, Any]) -> Any:
    return {"anki_version": ANKI_VERSION}


def cmd_login(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    endpoint = normalize_endpoint(str(req["endpoint"]))
    if LEGACY:
        point_legacy_client_at(endpoint)
        auth = col.sync_login(str(req["username"]), str(req["password"]))
        dev.auth, dev.endpoint = auth, endpoint
        return {"hkey": auth.hkey, "endpoint": endpoint}
    auth = col.sync_login(str(req["username"]), str(req["password"]), endpoint)
    if not auth.endpoint:
        auth.endpoint = endpoint
    dev.auth, dev.endpoint = auth, auth.endpoint
    return {"hkey": auth.hkey, "endpoint": auth.endpoint}


def cmd_set_auth(req: dict[str, Any]) -> Any:
    dev = device(req)
    dev.open()
    dev.endpoint = normalize_endpoint(str(req["endpoint"]))
    if LEGACY:
        # 2.1.50–2.1.56: SyncAuth is {hkey, host_number}; the endpoint is the environment's.
        dev.auth = sync_pb2.SyncAuth(hkey=str(req["hkey"]), host_number=0)
    else:
        dev.auth = sync_pb2.SyncAuth(hkey=str(req["hkey"]), endpoint=dev.endpoint)
    return {}


NOUNS = [
    "猫", "犬", "日本語", "水", "Ärger", "straße", "ΣΟΦΊΑ", "مرحبا", "привет",
    "café", "naïve", "한국어", "emoji 🦊", "Ωμέγα", "smörgåsbord", "ﬁne ligature",
]


def answer_card(col: Collection, card: Any, ease: int) -> None:
    """Answers `card` as a person would: never twice in one millisecond.

    Anki stamps an answer's revlog row with the answer time in milliseconds and the card's last
    review time with the same instant in seconds. If that millisecond already has a revlog row,
    the row takes max(id) + 1 instead, which can fall into the next second, and Check Database then
    "adds the last review time" and asks for a full sync. A person never answers twice in a
    millisecond; this driver does (~0.6 ms per answer) unless it waits, and it did once in CI.
    """
    last = int(col.db.scalar("select coalesce(max(id), 0) from revlog"))
    # Bounded, so that a revlog row from the future (another device's clock) cannot stall us.
    deadline = time.monotonic() + 0.01
    while time.time_ns() // 1_000_000 <= last and time.monotonic() < deadline:
        time.sleep(0.0002)
    col.sched.answerCard(card, ease)  # type: ignore[arg-type]


def cmd_populate(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    count = int(req.get("notes", 0))
    deck_names = list(req.get("decks") or ["Default"])
    tags = list(req.get("tags") or [])
    reviews = int(req.get("reviews", min(count, 20)))

    nt = col.models.by_name("Basic")
    if nt is None:
        raise DriverError("driver", "notetype 'Basic' not found")
    deck_ids = [int(col.decks.id(name)) for name in deck_names]

    before_notes = col.note_count()
    added = 0
    for i in range(count):
        note = col.new_note(nt)
        noun = NOUNS[i % len(NOUNS)]
        note["Front"] = f"#{before_notes + i} {noun} — «front» <b>{i}</b>"
        note["Back"] = f"Antwort {i}: {noun[::-1]} ∑ 答え {i * 7 % 13}"
        if tags:
            # every note gets one tag, every third note gets two
            note.tags = [tags[i % len(tags)]]
            if i % 3 == 0 and len(tags) > 1:
                note.tags.append(tags[(i + 1) % len(tags)])
        col.add_note(note, deck_ids[i % len(deck_ids)])
        added += 1

    # Answer some cards so that revlog rows exist.
    answered = 0
    eases = [3, 1, 4, 2]
    per_deck = max(1, reviews // max(1, len(deck_ids))) if reviews else 0
    for did in deck_ids:
        if answered >= reviews:
            break
        col.decks.select(did)
        for _ in range(per_deck):
            if answered >= reviews:
                break
            card = col.sched.getCard()
            if card is None:
                break
            answer_card(col, card, eases[answered % len(eases)])
            answered += 1
    if deck_ids:
        col.decks.select(deck_ids[0])

    return {
        "notes_added": added,
        "reviews": answered,
        "notes": col.note_count(),
        "cards": col.card_count(),
        "decks": len(col.decks.all_names_and_ids()),
        "revlog": col.db.scalar("select count() from revlog"),
        "tags": len(col.tags.all()),
    }


def sync_output_to_json(out: sync_pb2.SyncCollectionResponse) -> dict[str, Any]:
    if LEGACY:
        # SyncCollectionResponse of 2.1.50–2.1.56: {host_number, server_message, required}.
        return {
            "required": CHANGES_REQUIRED.get(out.required, str(out.required)),
            "server_message": out.server_message,
            "server_media_usn": None,
            "host_number": out.host_number,
            "new_endpoint": None,
        }
    return {
        "required": CHANGES_REQUIRED.get(out.required, str(out.required)),
        "server_message": out.server_message,
        "server_media_usn": out.server_media_usn,
        "host_number": out.host_number,
        "new_endpoint": out.new_endpoint if out.HasField("new_endpoint") else None,
    }


def legacy_sync_collection(col: Collection, auth: sync_pb2.SyncAuth) -> Any:
    """A normal sync on an old client, which keeps a transaction open in Python.

    As their desktop app does (2.1.50:qt/aqt/sync.py): commit and leave the
    transaction before, open a new one after; otherwise the backend fails with
    "cannot start a transaction within a transaction".
    """
    col.save(trx=False)
    try:
        return col.sync_collection(auth)
    finally:
        col.db.begin()


def cmd_sync(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    auth = dev.sync_auth()
    media = bool(req.get("media", False))
    ls_before = col.db.scalar("select ls from col")
    if LEGACY:
        out = legacy_sync_collection(col, auth)
        full = out.required not in (
            sync_pb2.SyncCollectionResponse.NO_CHANGES,
            sync_pb2.SyncCollectionResponse.NORMAL_SYNC,
        )
        if media and not full:
            legacy_sync_media(col, dev.sync_auth(), MEDIA_SYNC_TIMEOUT_S)
    else:
        out = col.sync_collection(auth, media)
        if out.HasField("new_endpoint") and out.new_endpoint:
            auth.endpoint = dev.endpoint = out.new_endpoint
    result = sync_output_to_json(out)
    # A completed normal sync is reported as NO_CHANGES (what is still
    # required afterwards); the last-sync time tells whether one took place.
    result["normal_sync_performed"] = col.db.scalar("select ls from col") != ls_before
    return result


def cmd_sync_status(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    out = col.sync_status(dev.sync_auth())
    return {
        "required": STATUS_REQUIRED.get(out.required, str(out.required)),
        "new_endpoint": (
            out.new_endpoint if not LEGACY and out.HasField("new_endpoint") else None
        ),
    }


def full_sync(req: dict[str, Any], upload: bool) -> Any:
    dev = device(req)
    col = dev.open()
    auth = dev.sync_auth()
    server_usn = req.get("server_usn")  # media usn; None = skip media sync
    # Same dance as the desktop client (aqt/sync.py): the backend takes the
    # collection away for the transfer and reopens it itself afterwards.
    col.close_for_full_sync()
    try:
        if LEGACY:
            # No full_upload_or_download and no media step: 2.1.50:qt/aqt/sync.py
            # calls full_upload / full_download, then syncs media on its own.
            (col.full_upload if upload else col.full_download)(auth)
        else:
            col.full_upload_or_download(
                auth=auth,
                server_usn=int(server_usn) if server_usn is not None else None,
                upload=upload,
            )
    finally:
        try:
            col.reopen(after_full_sync=True)
        except Exception:
            # backend could not reopen; force a fresh open next time
            try:
                col.db = None
                dev.col = None
            except Exception:
                pass
    if LEGACY and server_usn is not None:
        legacy_sync_media(col, dev.sync_auth(), MEDIA_SYNC_TIMEOUT_S)
    return {}


def cmd_full_upload(req: dict[str, Any]) -> Any:
    return full_sync(req, True)


def cmd_full_download(req: dict[str, Any]) -> Any:
    return full_sync(req, False)


MEDIA_SYNC_TIMEOUT_S = 120.0


def media_progress_to_json(progress: Any) -> dict[str, Any]:
    return {"checked": progress.checked, "added": progress.added, "removed": progress.removed}


def _media_folder_sha1s(folder: str) -> dict[str, str]:
    sha1s = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file():
                with open(entry.path, "rb") as f:
                    sha1s[entry.name] = hashlib.sha1(f.read()).hexdigest()
    return sha1s


def _pending_media(col: Collection) -> tuple[int, int]:
    """(files, deletions) the client's media DB holds for upload."""
    db_path = media_paths_from_col_path(col.path)[1]
    if not os.path.exists(db_path):
        return (0, 0)
    con = sqlite3.connect(f"{pathlib.Path(db_path).as_uri()}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "select count(csum), count() - count(csum) from media where dirty = 1"
        ).fetchone()
    finally:
        con.close()
    return (int(rows[0]), int(rows[1]))


def legacy_sync_media(col: Collection, auth: sync_pb2.SyncAuth, timeout: float) -> Any:
    """A media sync on an old client: their backend's sync_media returns when the
    sync is over and raises if it failed (2.1.50:rslib/src/backend/sync/mod.rs);
    there is no media_sync_status. It runs in a thread so that the timeout can
    abort it, as their desktop app does (2.1.50:qt/aqt/mediasync.py).

    Their progress reports are throttled to one per 0.1 s from the start and
    none is kept after the sync, so the counts are worked out here, in the
    client's own words: uploads from the media DB's pending entries, downloads
    from the folder before and after, "checked" = the files in the folder.
    """
    folder = col.media.dir()
    before = _media_folder_sha1s(folder)
    up_files, up_deletions = _pending_media(col)
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            col.sync_media(auth)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="media-sync", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        col.abort_media_sync()
        worker.join(30)
        raise DriverError("driver", f"media sync did not finish in {timeout}s")
    if "error" in outcome:
        raise outcome["error"]
    after = _media_folder_sha1s(folder)
    down_files = sum(1 for name, sha1 in after.items() if before.get(name) != sha1)
    down_deletions = sum(1 for name in before if name not in after)
    tr = col.tr
    return {
        "checked": tr.sync_media_checked_count(count=len(after)),
        "added": tr.sync_media_added_count(up=up_files, down=down_files),
        "removed": tr.sync_media_removed_count(up=up_deletions, down=down_deletions),
    }


def cmd_sync_media(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    auth = dev.sync_auth()
    timeout = float(req.get("timeout", MEDIA_SYNC_TIMEOUT_S))
    if LEGACY:
        return legacy_sync_media(col, auth, timeout)
    col.sync_media(auth)
    deadline = time.monotonic() + timeout
    while True:
        status = col.media_sync_status()  # raises if the media sync failed
        if not status.active:
            return media_progress_to_json(status.progress)
        if time.monotonic() > deadline:
            col.abort_media_sync()
            raise DriverError("driver", f"media sync did not finish in {timeout}s")
        time.sleep(0.05)


def cmd_media_write(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    data = base64.b64decode(str(req["data_b64"]), validate=True)
    # Like adding a file in the editor: the client normalises the name and records the file
    # in its media DB as pending upload.
    return {"name": col.media.write_data(str(req["name"]), data)}


def cmd_media_trash(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    names = req.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DriverError("bad_request", "'names' must be a list of strings")
    col.media.trash_files(names)
    return {}


def cmd_media_files(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    folder = col.media.dir()
    files = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file():
                continue
            with open(entry.path, "rb") as f:
                data = f.read()
            files.append(
                {"name": entry.name, "size": len(data), "sha1": hashlib.sha1(data).hexdigest()}
            )
    files.sort(key=lambda f: f["name"])
    return {"dir": folder, "files": files}


def _rows(col: Collection, sql: str, *args: Any) -> list[list[Any]]:
    return [list(r) for r in col.db.all(sql, *args)]


def cmd_import_colpkg(req: dict[str, Any]) -> Any:
    # As the desktop app imports a collection package (aqt/import_export/importing.py,
    # import_collection_package_op): the profile's collection is closed, then the backend checks
    # the package's collection, puts its media into the media folder and swaps the collection in.
    dev = device(req)
    dev.close()
    media_folder, media_db = media_paths_from_col_path(dev.path)
    os.makedirs(os.path.dirname(dev.path), exist_ok=True)
    _backend_mod.RustBackend().import_collection_package(
        col_path=dev.path, backup_path=str(req["path"]), media_folder=media_folder, media_db=media_db
    )
    return {}


def cmd_dump(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    # col.models caches notetypes in Python; a normal sync changes them underneath (the desktop
    # app reloads after syncing), so read them from the backend.
    col._clear_caches()
    notes = [
        {
            "id": r[0],
            "guid": r[1],
            "mid": r[2],
            "mod": r[3],
            "tags": r[4].split(),
            "flds": r[5].split("\x1f"),
            "flags": r[6],
            "data": r[7],
        }
        for r in _rows(
            col, "select id, guid, mid, mod, tags, flds, flags, data from notes order by id"
        )
    ]
    card_cols = [
        "id", "nid", "did", "ord", "mod", "type", "queue", "due", "ivl", "factor",
        "reps", "lapses", "left", "odue", "odid", "flags", "data",
    ]
    cards = [
        dict(zip(card_cols, r))
        for r in _rows(col, f"select {', '.join(card_cols)} from cards order by id")
    ]
    decks = []
    for name_id in col.decks.all_names_and_ids():
        d = col.decks.get(name_id.id)
        assert d is not None
        decks.append(
            {
                "id": int(d["id"]),
                "name": d["name"],
                "dyn": int(d.get("dyn", 0)),
                "conf": int(d["conf"]) if "conf" in d else None,
                "desc": d.get("desc", ""),
            }
        )
    decks.sort(key=lambda d: d["id"])
    deck_configs = []
    for conf in col.decks.all_config():
        conf = dict(conf)
        conf.pop("usn", None)
        deck_configs.append({"id": int(conf["id"]), "name": conf["name"], "config": conf})
    deck_configs.sort(key=lambda d: d["id"])
    notetypes = []
    for nt in col.models.all():
        notetypes.append(
            {
                "id": int(nt["id"]),
                "name": nt["name"],
                "type": nt.get("type", 0),
                "sortf": nt.get("sortf", 0),
                "css": nt.get("css", ""),
                "fields": [{"ord": f["ord"], "name": f["name"]} for f in nt["flds"]],
                "templates": [
                    {"ord": t["ord"], "name": t["name"], "qfmt": t["qfmt"], "afmt": t["afmt"]}
                    for t in nt["tmpls"]
                ],
            }
        )
    notetypes.sort(key=lambda n: n["id"])
    revlog_cols = ["id", "cid", "ease", "ivl", "lastIvl", "factor", "time", "type"]
    revlog = [
        dict(zip(revlog_cols, r))
        for r in _rows(col, f"select {', '.join(revlog_cols)} from revlog order by id")
    ]
    return {
        "crt": col.crt,
        "notes": notes,
        "cards": cards,
        "decks": decks,
        "deck_configs": deck_configs,
        "notetypes": notetypes,
        "tags": sorted(col.tags.all()),
        "revlog": revlog,
    }


def cmd_check(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    integrity = [str(r[0]) for r in col.db.all("pragma integrity_check")]
    if LEGACY:
        # Outside Python's transaction, as their fix_integrity() runs it (the check vacuums).
        col.save(trx=False)
    try:
        problems = list(col._backend.check_database())
        db_error = None
    except DBError as err:
        problems = [str(err)]
        db_error = str(err)
    finally:
        if LEGACY:
            col.db.begin()
    return {
        "problems": problems,
        "integrity": integrity,
        "db_error": db_error,
        "ok": not problems and integrity == ["ok"],
    }


def cmd_exec_sql(req: dict[str, Any]) -> Any:
    dev = device(req)
    col = dev.open()
    args = req.get("args") or []
    return _rows(col, str(req["sql"]), *args)


def cmd_study_figures(req: dict[str, Any]) -> Any:
    """What the client itself reports about what was studied, from its own code paths.

    Its day (sched_timing_today: days elapsed and the next day's start, computed as when the
    client looks at the day, which also unburies the cards of a past day, and stores its time zone
    in localOffset); "Studied N cards … today" (col.studied_today); its statistics page's data
    (the backend's graphs over the whole collection): today's answers and the answers per day of
    the Reviews graph (day 0 = today, -1 = yesterday; days without answers are absent); the cards
    its search `is:due` finds; note and card counts; and the config that decides the day.
    """
    col = device(req).open()
    timing = col._backend.sched_timing_today()
    graphs = col._backend.graphs(search="", days=0)
    per_day: dict[str, int] = {}
    for day, r in graphs.reviews.count.items():
        total = r.learn + r.relearn + r.young + r.mature + r.filtered
        if total:
            per_day[str(day)] = total
    return {
        "now": time.time(),
        "today": timing.days_elapsed,
        "day_cutoff": timing.next_day_at,
        "studied_today": col.studied_today(),
        "answered_today": graphs.today.answer_count,
        "reviews_per_day": per_day,
        "due": len(col.find_cards("is:due")),
        "notes": col.note_count(),
        "cards": col.card_count(),
        "config": {
            key: col.get_config(key, None)
            for key in ("rollover", "localOffset", "creationOffset", "schedVer", "lastUnburied", "collapseTime")
        },
        "crt": col.crt,
    }


def cmd_close(req: dict[str, Any]) -> Any:
    dev = device(req)
    dev.close()
    devices.pop(dev.path, None)
    return {}


def cmd_quit(req: dict[str, Any]) -> Any:
    for dev in list(devices.values()):
        try:
            dev.close()
        except Exception:
            traceback.print_exc()
    devices.clear()
    return {}


COMMANDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ping": cmd_ping,
    "login": cmd_login,
    "set_auth": cmd_set_auth,
    "populate": cmd_populate,
    "sync": cmd_sync,
    "sync_status": cmd_sync_status,
    "full_upload": cmd_full_upload,
    "full_download": cmd_full_download,
    "sync_media": cmd_sync_media,
    "media_write": cmd_media_write,
    "media_trash": cmd_media_trash,
    "media_files": cmd_media_files,
    "dump": cmd_dump,
    "import_colpkg": cmd_import_colpkg,
    "check": cmd_check,
    "exec_sql": cmd_exec_sql,
    "study_figures": cmd_study_figures,
    "close": cmd_close,
    "quit": cmd_quit,
}


# --- editing commands (normal-sync suite) -------------------------------------
# Edits made through the client's own API, as the desktop app makes them, so that
# usn/mod bookkeeping is the real client's:
#   add_notes          {device, notes: [{notetype?: "Basic", deck?: name, fields: [..] | {name: value},
#                        tags?: [..]}]}                          -> {"note_ids", "card_ids"}
#   edit_note          {device, note_id, fields?: {name|index: value}, tags_add?, tags_remove?}
#                                                               -> {"mod"}
#   review             {device, count, deck?: name, eases?: [3, 1, 4, 2]}
#                                                               -> {"answered", "card_ids"}
#   set_card           {device, card_id, queue?, type?, due?, ivl?, flags?}  -> {}
#   move_cards         {device, card_ids, deck: name}           -> {"deck_id"} (deck created if missing)
#   add_deck           {device, name}                           -> {"id"}
#   rename_deck        {device, deck_id, name}                  -> {}
#   remove_decks       {device, deck_ids}                       -> {"count"} (cards removed)
#   remove_notes       {device, note_ids}                       -> {"count"}
#   remove_cards       {device, card_ids}                       -> {"count"} (orphaned notes removed)
#   set_deck_config    {device, config_id?, new_config_name?, deck_id?, changes?: {...}}
#                        -> {"config_id"}: new_config_name adds a config (a copy of the deck's
#                        current one); `changes` is merged (recursively) into the legacy dict;
#                        deck_id assigns the config to that deck
#   add_notetype_copy  {device, source: name, name}             -> {"id"} (copy of a notetype)
#   rename_notetype    {device, notetype_id | notetype, name}   -> {}
#   add_field          {device, notetype_id | notetype, name}   -> {} (a schema change)
#   remove_notetype    {device, notetype_id | notetype}         -> {} (a schema change)
#                        (notetype_id, or else the notetype's name)
#   set_config         {device, key, value}                     -> {}
#   set_next_day_starts_at {device, hour}                       -> {}   (Preferences → "Next day
#                                                                    starts at", as the app sets it)
#   get_config         {device}                                 -> {key: value} (all config)


def _notetype_by_name(col: Collection, name: str) -> Any:
    # Never edit a notetype from col.models' Python cache: a sync may have changed it since.
    col._clear_caches()
    nt = col.models.by_name(name)
    if nt is None:
        raise DriverError("not_found", f"notetype {name!r} not found")
    return nt


def _notetype_of(col: Collection, req: dict[str, Any]) -> Any:
    """The notetype named by `notetype_id`, or else by the name `notetype`."""
    if req.get("notetype_id") is None:
        return _notetype_by_name(col, str(req.get("notetype")))
    col._clear_caches()
    nt = col.models.get(int(req["notetype_id"]))
    if nt is None:
        raise DriverError("not_found", f"notetype {req['notetype_id']!r} not found")
    return nt


def cmd_add_notes(req: dict[str, Any]) -> Any:
    col = device(req).open()
    note_ids: list[int] = []
    card_ids: list[int] = []
    for spec in req.get("notes") or []:
        nt = _notetype_by_name(col, str(spec.get("notetype", "Basic")))
        note = col.new_note(nt)
        fields = spec.get("fields") or []
        if isinstance(fields, dict):
            for name, value in fields.items():
                note[name] = str(value)
        else:
            for i, value in enumerate(fields):
                note.fields[i] = str(value)
        note.tags = [str(t) for t in spec.get("tags") or []]
        did = col.decks.id(str(spec["deck"])) if spec.get("deck") else col.decks.get_current_id()
        col.add_note(note, did)
        note_ids.append(int(note.id))
        card_ids.extend(int(c) for c in col.card_ids_of_note(note.id))
    return {"note_ids": note_ids, "card_ids": card_ids}


def cmd_edit_note(req: dict[str, Any]) -> Any:
    col = device(req).open()
    note = col.get_note(int(req["note_id"]))
    for key, value in (req.get("fields") or {}).items():
        if isinstance(key, str) and key.isdigit():
            note.fields[int(key)] = str(value)
        else:
            note[key] = str(value)
    for tag in req.get("tags_add") or []:
        note.add_tag(str(tag))
    for tag in req.get("tags_remove") or []:
        note.remove_tag(str(tag))
    col.update_note(note)
    return {"mod": col.get_note(note.id).mod}


def cmd_review(req: dict[str, Any]) -> Any:
    col = device(req).open()
    count = int(req.get("count", 1))
    eases = [int(e) for e in req.get("eases") or [3, 1, 4, 2]]
    if req.get("deck"):
        col.decks.select(col.decks.id(str(req["deck"])))
    answered: list[int] = []
    for i in range(count):
        card = col.sched.getCard()
        if card is None:
            break
        answer_card(col, card, eases[i % len(eases)])
        answered.append(int(card.id))
    return {"answered": len(answered), "card_ids": answered}


def cmd_set_card(req: dict[str, Any]) -> Any:
    col = device(req).open()
    card = col.get_card(int(req["card_id"]))
    for key in ("queue", "type", "due", "ivl", "flags"):
        if key in req and req[key] is not None:
            setattr(card, key, int(req[key]))
    col.update_card(card)
    return {}


def cmd_move_cards(req: dict[str, Any]) -> Any:
    col = device(req).open()
    did = col.decks.id(str(req["deck"]))
    col.set_deck([int(c) for c in req.get("card_ids") or []], did)
    return {"deck_id": int(did)}


def cmd_add_deck(req: dict[str, Any]) -> Any:
    col = device(req).open()
    return {"id": int(col.decks.add_normal_deck_with_name(str(req["name"])).id)}


def cmd_rename_deck(req: dict[str, Any]) -> Any:
    col = device(req).open()
    col.decks.rename(int(req["deck_id"]), str(req["name"]))
    return {}


def cmd_remove_decks(req: dict[str, Any]) -> Any:
    col = device(req).open()
    return {"count": col.decks.remove([int(d) for d in req.get("deck_ids") or []]).count}


def cmd_remove_notes(req: dict[str, Any]) -> Any:
    col = device(req).open()
    return {"count": col.remove_notes([int(n) for n in req.get("note_ids") or []]).count}


def cmd_remove_cards(req: dict[str, Any]) -> Any:
    col = device(req).open()
    ids = [int(c) for c in req.get("card_ids") or []]
    if LEGACY:
        # 2.1.50–2.1.56 return nothing: count the cards that are there to remove.
        known = ",".join(str(i) for i in ids) or "0"
        count = col.db.scalar(f"select count() from cards where id in ({known})")
        col.remove_cards_and_orphaned_notes(ids)
        return {"count": int(count)}
    return {"count": col.remove_cards_and_orphaned_notes(ids).count}


def _deep_merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value


def cmd_set_deck_config(req: dict[str, Any]) -> Any:
    col = device(req).open()
    deck_id = req.get("deck_id")
    if req.get("new_config_name"):
        base = col.decks.config_dict_for_deck_id(int(deck_id)) if deck_id else None
        conf_id = col.decks.add_config_returning_id(str(req["new_config_name"]), base)
    elif req.get("config_id") is not None:
        conf_id = int(req["config_id"])
    elif deck_id:
        conf_id = int(col.decks.config_dict_for_deck_id(int(deck_id))["id"])
    else:
        raise DriverError("bad_request", "give config_id, new_config_name or deck_id")
    conf = col.decks.get_config(conf_id)
    if conf is None:
        raise DriverError("not_found", f"deck config {conf_id} not found")
    if req.get("changes"):
        _deep_merge(conf, req["changes"])
        col.decks.update_config(conf)
    if deck_id:
        deck = col.decks.get(int(deck_id), default=False)
        if deck is None:
            raise DriverError("not_found", f"deck {deck_id} not found")
        if int(deck.get("conf", 0)) != int(conf_id):
            col.decks.set_config_id_for_deck_dict(deck, conf_id)
    return {"config_id": int(conf_id)}


def cmd_add_notetype_copy(req: dict[str, Any]) -> Any:
    col = device(req).open()
    nt = col.models.copy(_notetype_by_name(col, str(req.get("source", "Basic"))), add=False)
    nt["name"] = str(req["name"])
    return {"id": int(col.models.add_dict(nt).id)}


def cmd_rename_notetype(req: dict[str, Any]) -> Any:
    col = device(req).open()
    nt = _notetype_of(col, req)
    nt["name"] = str(req["name"])
    col.models.update_dict(nt)
    return {}


def cmd_add_field(req: dict[str, Any]) -> Any:
    col = device(req).open()
    nt = _notetype_of(col, req)
    col.models.add_field(nt, col.models.new_field(str(req["name"])))
    col.models.update_dict(nt)
    return {}


def cmd_remove_notetype(req: dict[str, Any]) -> Any:
    col = device(req).open()
    col.models.remove(int(_notetype_of(col, req)["id"]))
    return {}


def cmd_set_config(req: dict[str, Any]) -> Any:
    col = device(req).open()
    col.set_config(str(req["key"]), req.get("value"))
    return {}


def cmd_set_next_day_starts_at(req: dict[str, Any]) -> Any:
    # Through the preferences, as the desktop app's Preferences screen does: unlike a bare
    # set_config("rollover"), this also makes the client work out its day again.
    col = device(req).open()
    prefs = col.get_preferences()
    prefs.scheduling.rollover = int(req["hour"])
    col.set_preferences(prefs)
    return {}


def cmd_get_config(req: dict[str, Any]) -> Any:
    return device(req).open().all_config()


COMMANDS.update(
    {
        "add_notes": cmd_add_notes,
        "edit_note": cmd_edit_note,
        "review": cmd_review,
        "set_card": cmd_set_card,
        "move_cards": cmd_move_cards,
        "add_deck": cmd_add_deck,
        "rename_deck": cmd_rename_deck,
        "remove_decks": cmd_remove_decks,
        "remove_notes": cmd_remove_notes,
        "remove_cards": cmd_remove_cards,
        "set_deck_config": cmd_set_deck_config,
        "add_notetype_copy": cmd_add_notetype_copy,
        "rename_notetype": cmd_rename_notetype,
        "add_field": cmd_add_field,
        "remove_notetype": cmd_remove_notetype,
        "set_config": cmd_set_config,
        "set_next_day_starts_at": cmd_set_next_day_starts_at,
        "get_config": cmd_get_config,
    }
)


def respond(obj: dict[str, Any]) -> None:
    _proto.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    _proto.flush()


def main() -> None:
    while True:
        raw = _stdin.readline()
        if not raw:
            break
        line = raw.strip()
        if not line:
            continue
        req_id: Any = None
        req: Any = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise DriverError("bad_request", "request must be a JSON object")
            req_id = req.get("id")
            name = req.get("cmd")
            fn = COMMANDS.get(name) if isinstance(name, str) else None
            if fn is None:
                raise DriverError("bad_request", f"unknown command {name!r}")
            result = fn(req)
            respond({"id": req_id, "ok": True, "result": result})
            if name == "quit":
                return
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            col: Collection | None = None
            path = req.get("device") if isinstance(req, dict) else None
            if isinstance(path, str) and os.path.abspath(path) in devices:
                col = devices[os.path.abspath(path)].col
            kind = classify(exc, col)
            if kind in ("driver", "backend"):
                traceback.print_exc()
            respond(
                {
                    "id": req_id,
                    "ok": False,
                    "error": f"{type(exc).__name__}: {exc}",
                    "kind": kind,
                    "backend_kind": getattr(exc, "backend_kind", None),
                    "message": str(exc),
                }
            )
    # stdin closed: close collections cleanly
    cmd_quit({})


if __name__ == "__main__":
    main()
