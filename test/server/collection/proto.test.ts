// The schema-18 protobuf blobs (docs/protocol/schema.md §5): the vectors D32/D33 of docs/protocol/behaviours.md and the encoding rules the
// real client depends on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, equals, fromBinary, toBinary, type DescEnum, type DescMessage } from '@bufbuild/protobuf';
import { defaultDeckConfig } from '../../../src/server/collection/create.ts';
import {
  DeckConfig_Config_LeechAction,
  DeckConfig_Config_ReviewCardOrder,
  DeckConfig_ConfigSchema,
} from '../../../src/server/collection/proto/gen/deck_config_pb.js';
import {
  Deck_CommonSchema,
  Deck_Filtered_SearchTerm_Order,
  Deck_Filtered_SearchTerm_OrderSchema,
  Deck_Filtered_SearchTermSchema,
  Deck_FilteredSchema,
  Deck_KindContainerSchema,
  Deck_Normal_DayLimitSchema,
  Deck_NormalSchema,
} from '../../../src/server/collection/proto/gen/decks_pb.js';
import {
  Notetype_Config_CardRequirement_KindSchema,
  Notetype_Config_CardRequirementSchema,
  Notetype_Config_KindSchema,
  Notetype_Config_OriginalStockKindSchema,
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
} from '../../../src/server/collection/proto/gen/notetypes_pb.js';
import { NO_ANKI_PYTHON, runPython, tempDir } from './support.ts';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const f32 = Math.fround;

test('D32: Deck.Common 08011001 decodes to study_collapsed and browser_collapsed', () => {
  const common = fromBinary(Deck_CommonSchema, hex('08011001'));
  assert.equal(common.studyCollapsed, true);
  assert.equal(common.browserCollapsed, true);
  assert.equal(common.lastDayStudied, 0);
  assert.equal(common.other.length, 0);
  assert.equal(toHex(toBinary(Deck_CommonSchema, common)), '08011001');
});

test('D32: Deck.KindContainer 0a020801 decodes to normal { config_id: 1 }', () => {
  const kind = fromBinary(Deck_KindContainerSchema, hex('0a020801'));
  assert.equal(kind.kind.case, 'normal');
  assert.equal(kind.kind.value?.configId, 1n);
  assert.equal(toHex(toBinary(Deck_KindContainerSchema, kind)), '0a020801');
});

test('D32: DayLimit 08051064 decodes to { limit: 5, today: 100 }', () => {
  const limit = fromBinary(Deck_Normal_DayLimitSchema, hex('08051064'));
  assert.equal(limit.limit, 5);
  assert.equal(limit.today, 100);
});

test('D32: field 255 (fa0f) carries the legacy JSON `other` in every blob that has it', () => {
  const blob = hex('fa0f077b2278223a317d');
  for (const schema of [
    Deck_CommonSchema,
    Notetype_ConfigSchema,
    Notetype_Field_ConfigSchema,
    Notetype_Template_ConfigSchema,
    DeckConfig_ConfigSchema,
  ]) {
    const msg = fromBinary(schema, blob);
    assert.equal(Buffer.from(msg.other).toString('utf8'), '{"x":1}', schema.typeName);
    assert.equal(toHex(toBinary(schema, msg)), 'fa0f077b2278223a317d', schema.typeName);
  }
});

const D33 =
  '0a080000803f00002041120400002041481450c8015d00002040656666a63f6d9a99993f7d0000803f8001949d02' +
  '880101900101980104a80101b00108c0013ce00201ad026666663f221c0000803f0000803f0000803f0000803f00' +
  '00803f0000803f0000803fc5026666663f';

test('D33: the spec default deck config blob decodes to the defaults of docs/protocol/schema.md §5.6', () => {
  const c = fromBinary(DeckConfig_ConfigSchema, hex(D33));
  assert.deepEqual(c.learnSteps, [1, 10]);
  assert.deepEqual(c.relearnSteps, [10]);
  assert.deepEqual([c.fsrsParams4, c.fsrsParams5, c.fsrsParams6], [[], [], []]);
  assert.equal(c.newPerDay, 20);
  assert.equal(c.reviewsPerDay, 200);
  assert.equal(c.newPerDayMinimum, 0);
  assert.equal(c.initialEase, 2.5);
  assert.equal(c.easyMultiplier, f32(1.3));
  assert.equal(c.hardMultiplier, f32(1.2));
  assert.equal(c.lapseMultiplier, 0);
  assert.equal(c.intervalMultiplier, 1);
  assert.equal(c.maximumReviewInterval, 36500);
  assert.equal(c.minimumLapseInterval, 1);
  assert.equal(c.graduatingIntervalGood, 1);
  assert.equal(c.graduatingIntervalEasy, 4);
  assert.deepEqual(
    [c.newCardInsertOrder, c.newCardGatherPriority, c.newCardSortOrder, c.newMix, c.reviewOrder],
    [0, 0, 0, 0, DeckConfig_Config_ReviewCardOrder.DAY],
  );
  assert.equal(c.interdayLearningMix, 0);
  assert.equal(c.leechAction, DeckConfig_Config_LeechAction.TAG_ONLY);
  assert.equal(c.leechThreshold, 8);
  assert.equal(c.disableAutoplay, false);
  assert.equal(c.capAnswerTimeToSecs, 60);
  assert.equal(c.showTimer, false);
  assert.equal(c.stopTimerOnAnswer, false);
  assert.equal(c.secondsToShowQuestion, 0);
  assert.equal(c.secondsToShowAnswer, 0);
  assert.equal(c.questionAction, 0);
  assert.equal(c.answerAction, 0);
  assert.equal(c.waitForAudio, true);
  assert.equal(c.skipQuestionWhenReplayingAnswer, false);
  assert.deepEqual([c.buryNew, c.buryReviews, c.buryInterdayLearning], [false, false, false]);
  assert.equal(c.desiredRetention, f32(0.9));
  assert.equal(c.ignoreRevlogsBeforeDate, '');
  assert.deepEqual(c.easyDaysPercentages, [1, 1, 1, 1, 1, 1, 1]);
  assert.equal(c.historicalRetention, f32(0.9));
  assert.equal(c.paramSearch, '');
  assert.equal(c.other.length, 0);
});

test('D33: the deck config a new collection gets equals the spec default blob', () => {
  const ours = fromBinary(DeckConfig_ConfigSchema, toBinary(DeckConfig_ConfigSchema, defaultDeckConfig()));
  assert.ok(equals(DeckConfig_ConfigSchema, ours, fromBinary(DeckConfig_ConfigSchema, hex(D33))));
});

test('encoding follows §5: packed repeated floats, fixed32 floats, 10-byte negative int64, defaults omitted', () => {
  // learn_steps [1, 10] is one length-delimited field (0a 08 …), not two fixed32 fields.
  const steps = toBinary(DeckConfig_ConfigSchema, create(DeckConfig_ConfigSchema, { learnSteps: [1, 10] }));
  assert.equal(toHex(steps), '0a080000803f00002041');
  // Field config id -1: varint of two's complement, 10 bytes, no zigzag.
  const field = toBinary(Notetype_Field_ConfigSchema, create(Notetype_Field_ConfigSchema, { id: -1n }));
  assert.equal(toHex(field), '48ffffffffffffffffff01');
  // An all-default message encodes to nothing.
  assert.equal(toBinary(Deck_NormalSchema, create(Deck_NormalSchema)).length, 0);
  // packed uint32 field_ords inside a card requirement.
  const nt = toBinary(Notetype_ConfigSchema, create(Notetype_ConfigSchema, { reqs: [{ cardOrd: 1, kind: 2, fieldOrds: [1, 2] }] }));
  assert.equal(toHex(nt), '4208080110021a020102');
});

test('optional fields keep explicit presence even when zero', () => {
  const tmpl = create(Notetype_Template_ConfigSchema, { id: 0n });
  assert.equal(toHex(toBinary(Notetype_Template_ConfigSchema, tmpl)), '4000');
  const normal = create(Deck_NormalSchema, { reviewLimit: 0, newLimit: 0, desiredRetention: 0 });
  assert.equal(toHex(toBinary(Deck_NormalSchema, normal)), '300038005500000000');
  const absent = fromBinary(Notetype_Field_ConfigSchema, hex(''));
  assert.equal(absent.id, undefined);
  assert.equal(absent.tag, undefined);
  const tagZero = fromBinary(Notetype_Field_ConfigSchema, hex('5000'));
  assert.equal(tagZero.tag, 0);
});

test('unknown fields and unknown enum numbers survive a decode/encode round trip', () => {
  // Deck.Common with an unknown field 20 (varint 7) and Filtered with a search order of 99.
  const common = hex('0801a00107');
  assert.equal(toHex(toBinary(Deck_CommonSchema, fromBinary(Deck_CommonSchema, common))), '0801a00107');
  const filtered = fromBinary(Deck_FilteredSchema, hex('12050a01611863'));
  assert.equal(filtered.searchTerms[0]?.order, 99);
  assert.equal(toHex(toBinary(Deck_FilteredSchema, filtered)), '12050a01611863');
  assert.equal(Deck_Filtered_SearchTerm_Order.RELATIVE_OVERDUENESS, 10);
});

// The real client's own descriptors (compiled into the `anki` package) are the ground truth for
// the wire format; ours are written from the spec, so compare them field by field.
const DUMP_REFERENCE_DESCRIPTORS = `
import json, sys
from anki import notetypes_pb2, decks_pb2, deck_config_pb2
from google.protobuf import descriptor_pb2
out = {"messages": {}, "enums": {}}
def walk(prefix, m):
    name = prefix + "." + m.name
    out["messages"][name] = [
        {
            "name": f.name, "number": f.number, "type": f.type, "label": f.label,
            "proto3Optional": f.proto3_optional,
            "oneof": m.oneof_decl[f.oneof_index].name
                if f.HasField("oneof_index") and not f.proto3_optional else None,
            "typeName": f.type_name.split(".")[-1] if f.type_name else None,
            "packed": f.options.packed if f.options.HasField("packed") else None,
        }
        for f in m.field
    ]
    for e in m.enum_type:
        out["enums"][name + "." + e.name] = [[v.name, v.number] for v in e.value]
    for n in m.nested_type:
        walk(name, n)
for mod in (notetypes_pb2, decks_pb2, deck_config_pb2):
    fdp = descriptor_pb2.FileDescriptorProto()
    mod.DESCRIPTOR.CopyToProto(fdp)
    for m in fdp.message_type:
        walk(fdp.package, m)
json.dump(out, open(sys.argv[1], "w"))
`;

interface RefField {
  name: string;
  number: number;
  type: number;
  label: number;
  proto3Optional: boolean;
  oneof: string | null;
  typeName: string | null;
  packed: boolean | null;
}

test('our .proto definitions match the real client’s descriptors field by field', { skip: NO_ANKI_PYTHON }, async (t) => {
  const ref = await runPython<{ messages: Record<string, RefField[]>; enums: Record<string, [string, number][]> }>(
    tempDir(t),
    DUMP_REFERENCE_DESCRIPTORS,
    [],
  );
  const pairs: [string, DescMessage][] = [
    ['anki.notetypes.Notetype.Config', Notetype_ConfigSchema],
    ['anki.notetypes.Notetype.Config.CardRequirement', Notetype_Config_CardRequirementSchema],
    ['anki.notetypes.Notetype.Field.Config', Notetype_Field_ConfigSchema],
    ['anki.notetypes.Notetype.Template.Config', Notetype_Template_ConfigSchema],
    ['anki.decks.Deck.Common', Deck_CommonSchema],
    ['anki.decks.Deck.Normal', Deck_NormalSchema],
    ['anki.decks.Deck.Normal.DayLimit', Deck_Normal_DayLimitSchema],
    ['anki.decks.Deck.Filtered', Deck_FilteredSchema],
    ['anki.decks.Deck.Filtered.SearchTerm', Deck_Filtered_SearchTermSchema],
    ['anki.decks.Deck.KindContainer', Deck_KindContainerSchema],
    ['anki.deck_config.DeckConfig.Config', DeckConfig_ConfigSchema],
  ];
  for (const [refName, ours] of pairs) {
    const expected = ref.messages[refName];
    assert.ok(expected, `reference has ${refName}`);
    const actual: RefField[] = ours.fields.map((f) => ({
      name: f.name,
      number: f.number,
      type: f.proto.type,
      label: f.proto.label,
      proto3Optional: f.proto.proto3Optional,
      oneof: f.oneof?.name ?? null,
      typeName: f.proto.typeName ? (f.proto.typeName.split('.').pop() ?? null) : null,
      packed: f.proto.options?.packed ?? null,
    }));
    const byNumber = (a: RefField, b: RefField): number => a.number - b.number;
    assert.deepEqual(actual.sort(byNumber), [...expected].sort(byNumber), refName);
  }
  const enumPairs: [string, DescEnum][] = [
    ['anki.notetypes.Notetype.Config.Kind', Notetype_Config_KindSchema],
    ['anki.notetypes.Notetype.Config.CardRequirement.Kind', Notetype_Config_CardRequirement_KindSchema],
    ['anki.notetypes.StockNotetype.OriginalStockKind', Notetype_Config_OriginalStockKindSchema],
    ['anki.decks.Deck.Filtered.SearchTerm.Order', Deck_Filtered_SearchTerm_OrderSchema],
    ...DeckConfig_ConfigSchema.nestedEnums.map((e): [string, DescEnum] => [`anki.deck_config.DeckConfig.Config.${e.name}`, e]),
  ];
  for (const [refName, ours] of enumPairs) {
    const expected = ref.enums[refName];
    assert.ok(expected, `reference has ${refName}`);
    assert.deepEqual(
      ours.values.map((v) => [v.name, v.number]),
      expected,
      refName,
    );
  }
  // Every reference enum of the config blob is covered.
  const refConfigEnums = Object.keys(ref.enums).filter((n) => n.startsWith('anki.deck_config.DeckConfig.Config.'));
  assert.equal(DeckConfig_ConfigSchema.nestedEnums.length, refConfigEnums.length);
});
