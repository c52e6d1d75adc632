// Notetypes ⇄ legacy JSON (docs/protocol/collection-sync.md §7.1): stock notetypes, the spec example, C2, D34,
// and the reference's accept/default/reject rules.
// Test ids such as C2 name the behaviours listed in docs/protocol/behaviours.md.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { equals, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { createCollection } from '../../../../src/server/collection/create.ts';
import { LegacyConversionError } from '../../../../src/server/collection/legacy/errors.ts';
import { jsonBytes, parseJson, stringifyJson, type JsonObject, type JsonValue } from '../../../../src/server/collection/legacy/json.ts';
import { notetypeFromLegacy, notetypeToLegacy, type NotetypeRows } from '../../../../src/server/collection/legacy/notetype.ts';
import { openCollection } from '../../../../src/server/collection/open.ts';
import {
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
} from '../../../../src/server/collection/proto/gen/notetypes_pb.js';
import { fixedClock, tempDir } from '../support.ts';
import { readNotetypes, type StoredNotetype } from './support.ts';

const SPEC_EXAMPLE = String.raw`{
  "id": 1755000000001, "name": "Basic", "type": 0, "mod": 0, "usn": 0,
  "sortf": 0, "did": null,
  "tmpls": [{
    "name": "Card 1", "ord": 0,
    "qfmt": "{{Front}}", "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}",
    "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0,
    "id": -3419283748293849234
  }],
  "flds": [
    {"name": "Front", "ord": 0, "sticky": false, "rtl": false, "font": "Arial", "size": 20,
     "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false,
     "id": 8123948123948123948, "tag": null, "preventDeletion": false},
    {"name": "Back", "ord": 1, "sticky": false, "rtl": false, "font": "Arial", "size": 20,
     "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false,
     "id": -1234567890123456789, "tag": null, "preventDeletion": false}
  ],
  "css": ".card {\n    font-family: arial;\n …}\n",
  "latexPre": "\\documentclass[12pt]{article}\n…\\begin{document}\n",
  "latexPost": "\\end{document}",
  "latexsvg": false,
  "req": [[0, "any", [0]]],
  "originalStockKind": 1
}`;

const compact = (text: string): string => stringifyJson(parseJson(text));
const obj = (text: string): JsonObject => parseJson(text) as JsonObject;
const toLegacy = (r: NotetypeRows): JsonObject => notetypeToLegacy(r.notetype, r.fields, r.templates);

function sameMessage<D extends DescMessage>(schema: D, a: Uint8Array, b: Uint8Array, what: string): void {
  assert.ok(equals(schema, fromBinary(schema, a), fromBinary(schema, b)), what);
}

function stockCollection(t: import('node:test').TestContext): StoredNotetype[] {
  const path = join(tempDir(t), 'collection.anki2');
  createCollection(path, fixedClock(1_755_000_000_000));
  const db = openCollection(path, { readonly: true });
  t.after(() => db.close());
  return readNotetypes(db);
}

test('stock notetypes of a new collection survive schema 18 → legacy → schema 18 → legacy unchanged', (t) => {
  const stock = stockCollection(t);
  assert.equal(stock.length, 6);
  for (const nt of stock) {
    const legacy = notetypeToLegacy(nt.row, nt.fields, nt.templates);
    // Through text, as on the wire.
    const back = notetypeFromLegacy(parseJson(stringifyJson(legacy)));
    assert.deepEqual(
      { id: back.notetype.id, name: back.notetype.name, mtime: back.notetype.mtime_secs, usn: back.notetype.usn },
      { id: nt.row.id, name: nt.row.name, mtime: nt.row.mtime_secs, usn: nt.row.usn },
    );
    sameMessage(Notetype_ConfigSchema, back.notetype.config, nt.row.config, `${nt.row.name} config`);
    assert.deepEqual(
      back.fields.map((f) => [f.ord, f.name]),
      nt.fields.map((f) => [f.ord, f.name]),
    );
    back.fields.forEach((f, i) => sameMessage(Notetype_Field_ConfigSchema, f.config, nt.fields[i]!.config, `${nt.row.name} field ${i}`));
    back.templates.forEach((tm, i) =>
      sameMessage(Notetype_Template_ConfigSchema, tm.config, nt.templates[i]!.config, `${nt.row.name} template ${i}`),
    );
    assert.equal(stringifyJson(toLegacy(back)), stringifyJson(legacy), nt.row.name);
  }
});

test('stock Basic, Cloze and Image Occlusion as legacy JSON', (t) => {
  const stock = stockCollection(t);
  const legacyOf = (name: string): JsonObject => {
    const nt = stock.find((n) => n.row.name === name)!;
    return notetypeToLegacy(nt.row, nt.fields, nt.templates);
  };
  const basic = legacyOf('Basic');
  assert.deepEqual(Object.keys(basic), [
    'id',
    'name',
    'type',
    'mod',
    'usn',
    'sortf',
    'did',
    'tmpls',
    'flds',
    'css',
    'latexPre',
    'latexPost',
    'latexsvg',
    'req',
    'originalStockKind',
  ]);
  assert.equal(basic.type, 0);
  assert.equal(basic.did, null);
  assert.deepEqual(basic.req, [[0, 'any', [0]]]);
  assert.equal(basic.originalStockKind, 1);
  const flds = basic.flds as JsonObject[];
  assert.deepEqual(Object.keys(flds[0]!), [
    'name',
    'ord',
    'sticky',
    'rtl',
    'font',
    'size',
    'description',
    'plainText',
    'collapsed',
    'excludeFromSearch',
    'id',
    'tag',
    'preventDeletion',
  ]);
  assert.deepEqual(
    flds.map((f) => [f.name, f.ord, f.font, f.size, f.tag]),
    [
      ['Front', 0, 'Arial', 20, null],
      ['Back', 1, 'Arial', 20, null],
    ],
  );
  const ids = flds.map((f) => f.id);
  assert.ok(ids.every((id) => typeof id === 'bigint' || typeof id === 'number'));

  const cloze = legacyOf('Cloze');
  assert.equal(cloze.type, 1);
  assert.equal(cloze.originalStockKind, 5);
  assert.deepEqual(
    (cloze.flds as JsonObject[]).map((f) => [f.name, f.tag, f.preventDeletion]),
    [
      ['Text', 0, true],
      ['Back Extra', 1, false],
    ],
  );

  const io = legacyOf('Image Occlusion');
  assert.equal(io.type, 1);
  assert.equal(io.originalStockKind, 6);
  assert.deepEqual(
    (io.flds as JsonObject[]).map((f) => [f.name, f.tag]),
    [
      ['Occlusion', 0],
      ['Image', 1],
      ['Header', 2],
      ['Back Extra', 3],
      ['Comments', 4],
    ],
  );
});

test('the spec example notetype (§7.1) converts to rows and back to the same JSON', () => {
  const rows = notetypeFromLegacy(parseJson(SPEC_EXAMPLE));
  assert.equal(rows.notetype.id, 1755000000001);
  assert.deepEqual(
    rows.fields.map((f) => [f.ntid, f.ord, f.name]),
    [
      [1755000000001, 0, 'Front'],
      [1755000000001, 1, 'Back'],
    ],
  );
  assert.deepEqual(
    rows.templates.map((tm) => [tm.ord, tm.name, tm.mtime_secs, tm.usn]),
    [[0, 'Card 1', 0, 0]],
  );
  assert.equal(fromBinary(Notetype_Field_ConfigSchema, rows.fields[0]!.config).id, 8123948123948123948n);
  assert.equal(fromBinary(Notetype_Template_ConfigSchema, rows.templates[0]!.config).id, -3419283748293849234n);
  assert.equal(stringifyJson(toLegacy(rows)), compact(SPEC_EXAMPLE));
});

test('D34: unknown keys at every level are kept, int64 ids exact', () => {
  const example = obj(SPEC_EXAMPLE);
  example.myKey = parseJson('{"nested":[1,2.50,"x",null],"big":-3419283748293849234}');
  (example.flds as JsonObject[])[1]!.fieldExtra = true;
  (example.tmpls as JsonObject[])[0]!.tmplExtra = parseJson('[18446744073709551615]');
  example.originalId = parseJson('-3419283748293849234');
  const text = stringifyJson(example);
  const rows = notetypeFromLegacy(parseJson(text));
  const config = fromBinary(Notetype_ConfigSchema, rows.notetype.config);
  assert.equal(config.originalId, -3419283748293849234n);
  assert.equal(new TextDecoder().decode(config.other), '{"myKey":{"nested":[1,2.50,"x",null],"big":-3419283748293849234}}');
  const out = stringifyJson(toLegacy(rows));
  // Same keys and values; `originalId` and `other` are emitted after the known keys.
  assert.deepEqual(parseJson(out), parseJson(text));
  assert.match(out, /"id":-3419283748293849234,"tmplExtra":\[18446744073709551615\]/);
  assert.match(out, /"originalStockKind":1,"originalId":-3419283748293849234,"myKey":\{"nested":\[1,2\.50,"x",null\]/);
});

test('C2: reserved keys stored in `other` never reach the output (notetype, field, template)', (t) => {
  const basic = stockCollection(t).find((n) => n.row.name === 'Basic')!;
  const keySource = notetypeToLegacy(basic.row, basic.fields, basic.templates);
  const withOther = <D extends DescMessage>(schema: D, blob: Uint8Array, other: JsonValue): Uint8Array => {
    const msg = fromBinary(schema, blob) as unknown as { other: Uint8Array };
    msg.other = jsonBytes(other);
    return toBinary(schema, msg as never);
  };
  const row = { ...basic.row, config: withOther(Notetype_ConfigSchema, basic.row.config, keySource) };
  const fields = basic.fields.map((f, i) =>
    i === 0 ? { ...f, config: withOther(Notetype_Field_ConfigSchema, f.config, (keySource.flds as JsonObject[])[0]!) } : f,
  );
  const templates = basic.templates.map((tm, i) =>
    i === 0 ? { ...tm, config: withOther(Notetype_Template_ConfigSchema, tm.config, (keySource.tmpls as JsonObject[])[0]!) } : tm,
  );
  const out = notetypeToLegacy(row, fields, templates);
  assert.deepEqual(Object.keys(out), Object.keys(keySource));
  assert.deepEqual(Object.keys((out.flds as JsonObject[])[0]!), Object.keys((keySource.flds as JsonObject[])[0]!));
  assert.deepEqual(Object.keys((out.tmpls as JsonObject[])[0]!), Object.keys((keySource.tmpls as JsonObject[])[0]!));
  assert.equal(stringifyJson(out), stringifyJson(keySource));
});

/** The spec example with some keys changed (undefined = removed). */
function variant(change: (nt: JsonObject) => void): JsonValue {
  const nt = obj(SPEC_EXAMPLE);
  change(nt);
  return nt;
}
const fld0 = (nt: JsonObject): JsonObject => (nt.flds as JsonObject[])[0]!;
const tmpl0 = (nt: JsonObject): JsonObject => (nt.tmpls as JsonObject[])[0]!;

test('input: rejected like the reference rejects it', () => {
  const rejects: [string, (nt: JsonObject) => void][] = [
    ['missing did (required, though null is fine)', (nt) => delete nt.did],
    ['missing css', (nt) => delete nt.css],
    ['missing tmpls', (nt) => delete nt.tmpls],
    ['sortf as float', (nt) => (nt.sortf = parseJson('0.0'))],
    ['sortf too big', (nt) => (nt.sortf = 70000)],
    ['type 2', (nt) => (nt.type = 2)],
    ['mod as string', (nt) => (nt.mod = '5')],
    ['usn too big', (nt) => (nt.usn = 2 ** 31)],
    ['latexPre null', (nt) => (nt.latexPre = null)],
    ['originalId as string', (nt) => (nt.originalId = '5')],
    ['field sticky 2', (nt) => (fld0(nt).sticky = 2)],
    ['field without rtl', (nt) => delete fld0(nt).rtl],
    ['field ord as string', (nt) => (fld0(nt).ord = '0')],
    ['field size -1', (nt) => (fld0(nt).size = -1)],
    ['template without qfmt', (nt) => delete tmpl0(nt).qfmt],
    ['template afmt null', (nt) => (tmpl0(nt).afmt = null)],
    ['id not a number', (nt) => (nt.id = 'abc')],
    ['not an object', (nt) => ((nt.flds as JsonValue[])[0] = 5)],
  ];
  for (const [what, change] of rejects) {
    assert.throws(() => notetypeFromLegacy(variant(change)), LegacyConversionError, what);
  }
  assert.throws(() => notetypeFromLegacy([]), LegacyConversionError);
});

test('input: lenient where the reference is lenient', () => {
  const config = (change: (nt: JsonObject) => void) => {
    const rows = notetypeFromLegacy(variant(change));
    return {
      nt: fromBinary(Notetype_ConfigSchema, rows.notetype.config),
      field: fromBinary(Notetype_Field_ConfigSchema, rows.fields[0]!.config),
      tmpl: fromBinary(Notetype_Template_ConfigSchema, rows.templates[0]!.config),
      rows,
    };
  };
  assert.equal(config((nt) => (nt.id = '+17')).rows.notetype.id, 17);
  assert.equal(config((nt) => (nt.did = 'x')).nt.targetDeckIdUnused, 0n);
  assert.equal(config((nt) => (nt.did = -5)).nt.targetDeckIdUnused, -5n);
  assert.equal(config((nt) => (nt.css = 5)).nt.css, '');
  assert.equal(config((nt) => (nt.latexsvg = 'yes')).nt.latexSvg, false);
  assert.deepEqual(config((nt) => (nt.req = 'junk')).nt.reqs, []);
  assert.deepEqual(config((nt) => (nt.req = parseJson('[[0,"any",[0]],[1,"sometimes",[1]]]'))).nt.reqs, []);
  assert.deepEqual(
    config((nt) => (nt.req = parseJson('[{"card_ord":1,"kind":"all","field_ords":[0,1]}]'))).nt.reqs.map((r) => [
      r.cardOrd,
      r.kind,
      r.fieldOrds,
    ]),
    [[1, 2, [0, 1]]],
  );
  assert.equal(config((nt) => delete nt.latexPre).nt.latexPre, '');
  assert.equal(config((nt) => (nt.originalId = null)).nt.originalId, undefined);
  assert.equal(config((nt) => (fld0(nt).sticky = '1')).field.sticky, true);
  assert.equal(config((nt) => (fld0(nt).sticky = 'TRUE')).field.sticky, true);
  assert.equal(config((nt) => (fld0(nt).rtl = parseJson('1.0'))).field.rtl, true);
  assert.equal(config((nt) => (fld0(nt).id = '5')).field.id, undefined);
  assert.equal(config((nt) => (fld0(nt).tag = -1)).field.tag, undefined);
  assert.equal(config((nt) => (fld0(nt).description = 7)).field.description, '');
  assert.equal(config((nt) => delete fld0(nt).ord).rows.fields[0]!.ord, 0);
  assert.equal(config((nt) => (fld0(nt).ord = 9)).rows.fields[0]!.ord, 0);
  assert.equal(config((nt) => (tmpl0(nt).bsize = 300)).tmpl.browserFontSize, 0);
  assert.equal(config((nt) => (tmpl0(nt).did = 42)).tmpl.targetDeckId, 42n);
  assert.equal(config((nt) => delete tmpl0(nt).afmt).tmpl.aFormat, '');
});

test('output: `did`, `originalStockKind`, `originalId` and `req` follow the reference', () => {
  const rows = notetypeFromLegacy(
    variant((nt) => {
      nt.did = -5;
      tmpl0(nt).did = -5;
      nt.originalStockKind = 0;
      nt.originalId = 0;
    }),
  );
  const out = toLegacy(rows);
  assert.equal(out.did, -5); // any non-zero notetype deck id is sent
  assert.equal((out.tmpls as JsonObject[])[0]!.did, null); // template deck ids only when positive
  assert.equal('originalStockKind' in out, false); // omitted when 0
  assert.equal(out.originalId, 0); // omitted only when absent

  const config = fromBinary(Notetype_ConfigSchema, rows.notetype.config);
  (config.reqs[0] as { kind: number }).kind = 9; // an unknown kind reads as "none"
  const out2 = notetypeToLegacy({ ...rows.notetype, config: toBinary(Notetype_ConfigSchema, config) }, rows.fields, rows.templates);
  assert.deepEqual(out2.req, [[0, 'none', [0]]]);
});
