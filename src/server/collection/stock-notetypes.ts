/**
 * The six stock notetypes a brand-new server collection contains (docs/protocol/schema.md §7), as data.
 *
 * They matter when a client fully downloads a collection the server created itself, so they
 * follow the reference exactly: English source strings (the server uses untranslated text),
 * the same field/template order, CSS, LaTeX header and card requirements.
 * Ids (notetype, field, template) are assigned at creation, not here.
 */
import {
  Notetype_Config_CardRequirement_Kind as ReqKind,
  Notetype_Config_Kind as NotetypeKind,
  Notetype_Config_OriginalStockKind as OriginalStockKind,
} from './proto/gen/notetypes_pb.js';

export interface StockField {
  readonly name: string;
  /** Role of the field in cloze-based notetypes (Cloze: 0 Text, 1 Back Extra; IO: 0–4). */
  readonly tag?: number;
  /** Fields the client's editor must not let the user delete. */
  readonly preventDeletion?: boolean;
}

export interface StockTemplate {
  readonly name: string;
  readonly qfmt: string;
  readonly afmt: string;
}

/** Legacy "req": card `cardOrd` is generated when `kind` (any/all) of `fieldOrds` are non-empty. */
export interface StockRequirement {
  readonly cardOrd: number;
  readonly kind: ReqKind;
  readonly fieldOrds: readonly number[];
}

export interface StockNotetype {
  readonly name: string;
  readonly kind: NotetypeKind;
  readonly originalStockKind: OriginalStockKind;
  readonly css: string;
  readonly fields: readonly StockField[];
  readonly templates: readonly StockTemplate[];
  readonly reqs: readonly StockRequirement[];
}

/** Every stock notetype uses this font for its fields (the reference's field defaults). */
export const STOCK_FIELD_FONT = 'Arial';
export const STOCK_FIELD_FONT_SIZE = 20;

export const STOCK_LATEX_PRE =
  '\\documentclass[12pt]{article}\n' +
  '\\special{papersize=3in,5in}\n' +
  '\\usepackage[utf8]{inputenc}\n' +
  '\\usepackage{amssymb,amsmath}\n' +
  '\\pagestyle{empty}\n' +
  '\\setlength{\\parindent}{0in}\n' +
  '\\begin{document}\n';

export const STOCK_LATEX_POST = '\\end{document}';

const BASIC_CSS =
  '.card {\n' +
  '    font-family: arial;\n' +
  '    font-size: 20px;\n' +
  '    line-height: 1.5;\n' +
  '    text-align: center;\n' +
  '    color: black;\n' +
  '    background-color: white;\n' +
  '}\n';

const CLOZE_CSS =
  BASIC_CSS +
  '.cloze {\n' +
  '    font-weight: bold;\n' +
  '    color: blue;\n' +
  '}\n' +
  '.nightMode .cloze {\n' +
  '    color: lightblue;\n' +
  '}\n';

const IMAGE_OCCLUSION_CSS =
  '#image-occlusion-canvas {\n' +
  '    --inactive-shape-color: #ffeba2;\n' +
  '    --active-shape-color: #ff8e8e;\n' +
  '    --inactive-shape-border: 1px #212121;\n' +
  '    --active-shape-border: 1px #212121;\n' +
  '    --highlight-shape-color: #ff8e8e00;\n' +
  '    --highlight-shape-border: 1px #ff8e8e;\n' +
  '}\n' +
  '\n' +
  '.card {\n' +
  '    font-family: arial;\n' +
  '    font-size: 20px;\n' +
  '    text-align: center;\n' +
  '    color: black;\n' +
  '    background-color: white;\n' +
  '}\n';

const IMAGE_OCCLUSION_QFMT =
  '{{#Header}}<div>{{Header}}</div>{{/Header}}\n' +
  '<div style="display: none">{{cloze:Occlusion}}</div>\n' +
  '<div id="err"></div>\n' +
  '<div id="image-occlusion-container">\n' +
  '    {{Image}}\n' +
  '    <canvas id="image-occlusion-canvas"></canvas>\n' +
  '</div>\n' +
  '<script>\n' +
  'try {\n' +
  '    anki.imageOcclusion.setup();\n' +
  '} catch (exc) {\n' +
  '    document.getElementById("err").innerHTML = `Error loading image occlusion. Is your Anki version up to date?<br><br>${exc}`;\n' +
  '}\n' +
  '</script>\n';

const IMAGE_OCCLUSION_AFMT =
  IMAGE_OCCLUSION_QFMT +
  '\n' +
  '<div><button id="toggle">Toggle Masks</button></div>\n' +
  '{{#Back Extra}}<div>{{Back Extra}}</div>{{/Back Extra}}\n';

const CARD_1: StockTemplate = {
  name: 'Card 1',
  qfmt: '{{Front}}',
  afmt: '{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}',
};

const CARD_2: StockTemplate = {
  name: 'Card 2',
  qfmt: '{{Back}}',
  afmt: '{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}',
};

const FRONT_BACK: readonly StockField[] = [{ name: 'Front' }, { name: 'Back' }];

/** In the reference's order; the first one (Basic) becomes `curModel`. */
export const STOCK_NOTETYPES: readonly StockNotetype[] = [
  {
    name: 'Basic',
    kind: NotetypeKind.NORMAL,
    originalStockKind: OriginalStockKind.BASIC,
    css: BASIC_CSS,
    fields: FRONT_BACK,
    templates: [CARD_1],
    reqs: [{ cardOrd: 0, kind: ReqKind.ANY, fieldOrds: [0] }],
  },
  {
    name: 'Basic (and reversed card)',
    kind: NotetypeKind.NORMAL,
    originalStockKind: OriginalStockKind.BASIC_AND_REVERSED,
    css: BASIC_CSS,
    fields: FRONT_BACK,
    templates: [CARD_1, CARD_2],
    reqs: [
      { cardOrd: 0, kind: ReqKind.ANY, fieldOrds: [0] },
      { cardOrd: 1, kind: ReqKind.ANY, fieldOrds: [1] },
    ],
  },
  {
    name: 'Basic (optional reversed card)',
    kind: NotetypeKind.NORMAL,
    originalStockKind: OriginalStockKind.BASIC_OPTIONAL_REVERSED,
    css: BASIC_CSS,
    fields: [...FRONT_BACK, { name: 'Add Reverse' }],
    templates: [CARD_1, { ...CARD_2, qfmt: '{{#Add Reverse}}{{Back}}{{/Add Reverse}}' }],
    reqs: [
      { cardOrd: 0, kind: ReqKind.ANY, fieldOrds: [0] },
      { cardOrd: 1, kind: ReqKind.ALL, fieldOrds: [1, 2] },
    ],
  },
  {
    name: 'Basic (type in the answer)',
    kind: NotetypeKind.NORMAL,
    originalStockKind: OriginalStockKind.BASIC_TYPING,
    css: BASIC_CSS,
    fields: FRONT_BACK,
    templates: [
      {
        name: 'Card 1',
        qfmt: '{{Front}}\n\n{{type:Back}}',
        afmt: '{{Front}}\n\n<hr id=answer>\n\n{{type:Back}}',
      },
    ],
    reqs: [{ cardOrd: 0, kind: ReqKind.ANY, fieldOrds: [0, 1] }],
  },
  {
    name: 'Cloze',
    kind: NotetypeKind.CLOZE,
    originalStockKind: OriginalStockKind.CLOZE,
    css: CLOZE_CSS,
    fields: [
      { name: 'Text', tag: 0, preventDeletion: true },
      { name: 'Back Extra', tag: 1 },
    ],
    templates: [{ name: 'Cloze', qfmt: '{{cloze:Text}}', afmt: '{{cloze:Text}}<br>\n{{Back Extra}}' }],
    reqs: [{ cardOrd: 0, kind: ReqKind.ANY, fieldOrds: [0] }],
  },
  {
    name: 'Image Occlusion',
    kind: NotetypeKind.CLOZE,
    originalStockKind: OriginalStockKind.IMAGE_OCCLUSION,
    css: IMAGE_OCCLUSION_CSS,
    fields: [
      { name: 'Occlusion', tag: 0, preventDeletion: true },
      { name: 'Image', tag: 1, preventDeletion: true },
      { name: 'Header', tag: 2, preventDeletion: true },
      { name: 'Back Extra', tag: 3, preventDeletion: true },
      { name: 'Comments', tag: 4 },
    ],
    templates: [{ name: 'Image Occlusion', qfmt: IMAGE_OCCLUSION_QFMT, afmt: IMAGE_OCCLUSION_AFMT }],
    reqs: [{ cardOrd: 0, kind: ReqKind.ANY, fieldOrds: [0, 1, 2] }],
  },
];
