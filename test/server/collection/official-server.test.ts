// Side by side with the official server: `python -m anki.syncserver` creates a collection for a
// new user on its first `meta`; ours must match it in everything but times and random ids.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { equals, fromBinary, type DescMessage } from '@bufbuild/protobuf';
import type Database from 'better-sqlite3';
import { createCollection, creationTimeSecs, localTimeZone } from '../../../src/server/collection/create.ts';
import { openCollection } from '../../../src/server/collection/open.ts';
import { DeckConfig_ConfigSchema } from '../../../src/server/collection/proto/gen/deck_config_pb.js';
import { Deck_CommonSchema, Deck_KindContainerSchema } from '../../../src/server/collection/proto/gen/decks_pb.js';
import {
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
  type Notetype_Field_Config,
  type Notetype_Template_Config,
} from '../../../src/server/collection/proto/gen/notetypes_pb.js';
import { freePort, NO_ANKI_PYTHON, tempDir, VENV_PYTHON } from './support.ts';

const SERVER_READY_TIMEOUT_MS = 30_000;
const SERVER_EXIT_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`official server exited early (${child.exitCode}):\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`official server not listening after ${SERVER_READY_TIMEOUT_MS} ms:\n${log()}`);
    await sleep(100);
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(SERVER_EXIT_TIMEOUT_MS).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Lets the official server create `user`'s collection by asking for `meta`; returns the reply. */
async function officialCollection(t: TestContext, dir: string): Promise<{ path: string; meta: Record<string, unknown> }> {
  const base = join(dir, 'official-base');
  mkdirSync(base);
  const port = await freePort();
  const child = spawn(VENV_PYTHON, ['-m', 'anki.syncserver'], {
    env: { ...process.env, SYNC_USER1: 'user:pass', SYNC_BASE: base, SYNC_HOST: '127.0.0.1', SYNC_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  t.after(() => stopServer(child));

  await waitForPort(port, child, () => output);
  const hkey = createHash('sha1').update('user:pass').digest('hex');
  const res = await fetch(`http://127.0.0.1:${port}/sync/meta`, {
    method: 'POST',
    headers: { 'anki-sync': JSON.stringify({ v: 11, k: hkey, c: 'test', s: 'x' }) },
    body: zstdCompressSync(Buffer.from(JSON.stringify({ v: 11, cv: 'test' }))),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  assert.equal(res.status, 200, output);
  const meta = JSON.parse(zstdDecompressSync(Buffer.from(await res.arrayBuffer())).toString('utf8')) as Record<string, unknown>;
  // The server keeps the file open (exclusively) until it exits, and may leave its changes in
  // the WAL; copy both once it is gone and let SQLite replay the WAL into the copy.
  await stopServer(child);
  const src = join(base, 'user', 'collection.anki2');
  const copy = join(dir, 'official.anki2');
  copyFileSync(src, copy);
  if (existsSync(`${src}-wal`)) copyFileSync(`${src}-wal`, `${copy}-wal`);
  return { path: copy, meta };
}

type Row = Record<string, unknown>;
const all = (db: Database.Database, sql: string): Row[] => db.prepare(sql).all() as Row[];

/** SQL as stored in sqlite_master, without `--` comments and with whitespace collapsed. */
const normalizeSql = (sql: unknown): unknown =>
  typeof sql === 'string'
    ? sql
        .replace(/--[^\n]*/g, '')
        .replace(/\s+/g, ' ')
        .trim()
    : sql;

function decoded<T extends DescMessage>(schema: T, bytes: unknown) {
  assert.ok(Buffer.isBuffer(bytes));
  return fromBinary(schema, bytes);
}

function assertSameBlob(schema: DescMessage, ours: unknown, theirs: unknown, what: string): void {
  assert.ok(equals(schema, decoded(schema, ours), decoded(schema, theirs)), `${what}: ${schema.typeName} differs`);
}

/** Field/template configs with their random ids checked for presence and then dropped. */
function fieldWithoutId(bytes: unknown): Notetype_Field_Config {
  const msg = decoded(Notetype_Field_ConfigSchema, bytes);
  assert.equal(typeof msg.id, 'bigint', 'every field has a random id');
  msg.id = undefined;
  return msg;
}

function templateWithoutId(bytes: unknown): Notetype_Template_Config {
  const msg = decoded(Notetype_Template_ConfigSchema, bytes);
  assert.equal(typeof msg.id, 'bigint', 'every template has a random id');
  msg.id = undefined;
  return msg;
}

test(
  'a new collection matches the one the official server creates, except times and random ids',
  { skip: NO_ANKI_PYTHON, timeout: 120_000 },
  async (t) => {
    const dir = tempDir(t);
    const official = await officialCollection(t, dir);
    assert.equal(official.meta.mod, 0);
    assert.equal(official.meta.usn, 0);
    assert.equal(official.meta.empty, true);

    const oursPath = join(dir, 'ours.anki2');
    createCollection(oursPath, { nowMs: () => Date.now() }, localTimeZone);

    const theirs = openCollection(official.path, { readonly: true });
    t.after(() => theirs.open && theirs.close());
    const ours = openCollection(oursPath, { readonly: true });
    t.after(() => ours.open && ours.close());

    await t.test('file format: integrity ok, WAL, 4 KiB pages, UTF-8', () => {
      for (const db of [ours, theirs]) {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      }
      for (const pragma of ['page_size', 'encoding', 'auto_vacuum', 'user_version', 'application_id']) {
        assert.equal(ours.pragma(pragma, { simple: true }), theirs.pragma(pragma, { simple: true }), pragma);
      }
    });

    await t.test('same tables, indexes and DDL in the same sqlite_master order', () => {
      const master = (db: Database.Database) =>
        all(db, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid').map((r) => ({ ...r, sql: normalizeSql(r.sql) }));
      assert.deepEqual(master(ours), master(theirs));
    });

    await t.test('same sqlite_stat1 and sqlite_stat4 statistics (ANALYZE at the same point)', () => {
      const stat1 = 'SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx';
      assert.deepEqual(all(ours, stat1), all(theirs, stat1));
      const stat4 = 'SELECT tbl, idx, neq, nlt, ndlt, hex(sample) AS sample FROM sqlite_stat4 ORDER BY tbl, idx, sample';
      assert.deepEqual(all(ours, stat4), all(theirs, stat4));
    });

    await t.test('same col row except scm; crt by the same 04:00 rule', () => {
      const [o] = all(ours, 'SELECT * FROM col');
      const [r] = all(theirs, 'SELECT * FROM col');
      assert.ok(o && r);
      assert.deepEqual({ ...o, scm: 0, crt: 0 }, { ...r, scm: 0, crt: 0 });
      assert.equal(r.scm, official.meta.scm);
      assert.equal(r.crt, creationTimeSecs(Number(r.scm), localTimeZone));
      assert.equal(o.crt, creationTimeSecs(Number(o.scm), localTimeZone));
    });

    await t.test('same config keys and values; curModel = the Basic notetype in each', () => {
      const config = (db: Database.Database) => {
        const basic = db.prepare("SELECT id FROM notetypes WHERE name = 'Basic'").pluck().get();
        const scmSecs = Math.floor(Number(db.prepare('SELECT scm FROM col').pluck().get()) / 1000);
        return all(db, 'SELECT KEY AS key, usn, mtime_secs, typeof(val) AS type, val FROM config ORDER BY KEY').map((row) => {
          const val = (row.val as Buffer).toString('utf8');
          if (row.key !== 'curModel') return { ...row, val };
          assert.equal(val, String(basic));
          // Written right after the notetypes, within a few seconds of scm.
          assert.ok(Math.abs(Number(row.mtime_secs) - scmSecs) <= 5);
          return { ...row, val: '<Basic id>', mtime_secs: '<creation time>' };
        });
      };
      assert.deepEqual(config(ours), config(theirs));
    });

    await t.test('same deck config and default deck, blobs equal after decoding', () => {
      const dconf = (db: Database.Database) => all(db, 'SELECT * FROM deck_config ORDER BY id');
      const [o, ...oRest] = dconf(ours);
      const [r, ...rRest] = dconf(theirs);
      assert.ok(o && r);
      assert.deepEqual([oRest, rRest], [[], []]);
      assert.deepEqual({ ...o, config: null }, { ...r, config: null });
      assertSameBlob(DeckConfig_ConfigSchema, o.config, r.config, 'deck_config');

      const decks = (db: Database.Database) => all(db, 'SELECT * FROM decks ORDER BY id');
      const [od, ...odRest] = decks(ours);
      const [rd, ...rdRest] = decks(theirs);
      assert.ok(od && rd);
      assert.deepEqual([odRest, rdRest], [[], []]);
      assert.deepEqual({ ...od, common: null, kind: null }, { ...rd, common: null, kind: null });
      assertSameBlob(Deck_CommonSchema, od.common, rd.common, 'decks.common');
      assertSameBlob(Deck_KindContainerSchema, od.kind, rd.kind, 'decks.kind');
    });

    await t.test('same notetypes, fields and templates, ignoring ids', () => {
      const notetypes = (db: Database.Database) => all(db, 'SELECT * FROM notetypes ORDER BY id');
      const o = notetypes(ours);
      const r = notetypes(theirs);
      assert.deepEqual(
        o.map((nt) => nt.name),
        r.map((nt) => nt.name),
      );
      for (const [i, ont] of o.entries()) {
        const rnt = r[i];
        assert.ok(rnt);
        const name = String(ont.name);
        assert.deepEqual({ ...ont, id: 0, config: null }, { ...rnt, id: 0, config: null }, name);
        assertSameBlob(Notetype_ConfigSchema, ont.config, rnt.config, name);

        const fields = (db: Database.Database, id: unknown) =>
          all(db, `SELECT ord, name, config FROM fields WHERE ntid = ${Number(id)} ORDER BY ord`).map((f) => ({
            ord: f.ord,
            name: f.name,
            config: fieldWithoutId(f.config),
          }));
        const of = fields(ours, ont.id);
        const rf = fields(theirs, rnt.id);
        assert.deepEqual(
          of.map((f) => [f.ord, f.name]),
          rf.map((f) => [f.ord, f.name]),
          name,
        );
        of.forEach((f, j) => assert.ok(equals(Notetype_Field_ConfigSchema, f.config, rf[j]!.config), `${name} field ${j}`));

        const templates = (db: Database.Database, id: unknown) =>
          all(db, `SELECT ord, name, mtime_secs, usn, config FROM templates WHERE ntid = ${Number(id)} ORDER BY ord`).map((tm) => ({
            ord: tm.ord,
            name: tm.name,
            mtime_secs: tm.mtime_secs,
            usn: tm.usn,
            config: templateWithoutId(tm.config),
          }));
        const ot = templates(ours, ont.id);
        const rt = templates(theirs, rnt.id);
        assert.deepEqual(
          ot.map((tm) => [tm.ord, tm.name, tm.mtime_secs, tm.usn]),
          rt.map((tm) => [tm.ord, tm.name, tm.mtime_secs, tm.usn]),
          name,
        );
        ot.forEach((tm, j) => assert.ok(equals(Notetype_Template_ConfigSchema, tm.config, rt[j]!.config), `${name} template ${j}`));
      }
      // Ids: creation-time milliseconds, increasing in the stock order, in both.
      for (const list of [o, r]) {
        const ids = list.map((nt) => Number(nt.id));
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
        );
      }
    });

    await t.test('both have no notes, cards, revlog, graves or tags', () => {
      for (const table of ['notes', 'cards', 'revlog', 'graves', 'tags']) {
        const count = (db: Database.Database) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
        assert.deepEqual([count(ours), count(theirs)], [0, 0], table);
      }
    });
  },
);
