/**
 * Strings that break naive encoders: CSV delimiters and quotes, line breaks, spreadsheet formula
 * prefixes, XML specials, non-ASCII, a control character. Used in the fixed rows and mixed into
 * generated ones.
 */
export const DEMO_HARD_TEXTS: readonly string[] = [
  'comma, separated',
  'double "quoted" text',
  'carriage\rreturn',
  'line\nfeed',
  'crlf\r\nline',
  'tab\tinside',
  'Zoë 😀 日本語',
  'control \u0001 char',
  '=1+1',
  '+1 555 0100',
  '-42',
  '@SUM(A1:A2)',
  '\tleading tab',
  '\rleading carriage return',
  ' =1+1 after a space',
  '\n+1 after a line break',
  '＝1+1 full-width',
  '＋1 full-width',
  '－1 full-width',
  '＠SUM(A1:A2) full-width',
  'cdata end ]]> inside',
  'back\\slash \\n not a newline',
  '<tag attr="1">&amp; & <</tag>',
];

/** Every troublesome character in one text: a name, a description, a title. */
export const MULTILINE_HARD_TEXT =
  'Multi, "quoted"\r\nCRLF\nLF\rCR\ttab \u0001ctl back\\slash ]]> <b>&amp;</b> Zoë 😀 日本語';

// Nested objects in arrays in objects, unicode escapes, 1.10 (jsonb keeps the scale), huge and tiny
// numbers, JSON null next to absent keys, empty containers.
export const NESTED_JSON = String.raw`{
  "cart": {
    "items": [
      {"sku": "A-1", "qty": 2, "price": 1.10, "tags": ["x,y", "\"q\""], "attrs": {"colour": "vermilion", "size": null}},
      {"sku": "日本-2", "qty": 0, "price": -3.5, "gift": false, "attrs": {"levels": [[1, 2], [3, {"deep": true}]]}}
    ]
  },
  "note": "Zoë 😀 \"quoted\" \\ back ]]> <x/> & more",
  "escapes": "line1\nline2\r\ncrlf\ttab\u0001ctl",
  "unicode": "\u00e9\u65e5\ud83d\ude00",
  "big": 12345678901234567890.5,
  "small": 0.000001,
  "negative": -0.5,
  "empty_obj": {},
  "empty_arr": [],
  "empty_str": "",
  "zero": 0,
  "flag": false,
  "nothing": null
}`;

/** Instants that trip up time handling: before the epoch, on DST switches (EU 2021), day boundaries. */
export const EDGE_TIMESTAMPS = [
  '1969-07-20 20:17:40+00',
  '1969-12-31 23:59:59.999999+00',
  '1970-01-01 00:00:00+00',
  '2021-03-28 00:59:59.999999+00',
  '2021-03-28 01:00:00+00',
  '2021-10-31 00:59:59.999999+00',
  '2021-10-31 01:00:00+00',
  '2024-02-29 00:00:00+00',
  '2024-02-29 23:59:59.999999+00',
] as const;
