// Numbers as spreadsheets write them: a decimal point or a decimal comma, optionally grouped in
// thousands ("1,234.5", "1.234,5", "1 234,5", "1'234.5"), optionally with a currency sign. Which
// separator is the decimal one is a property of the file, decided once (see detect.ts), never per cell:
// "1,234" is 1234 in one file and 1.234 in another.

export type DecimalSeparator = "." | ",";

export interface NumberFormat {
  decimal: DecimalSeparator;
}

// Group separators a decimal point allows (comma, apostrophe, spaces) and a decimal comma allows
// (dot, apostrophe, spaces). The same separator must be used throughout a number.
const groupedPoint = /^[+-]?\d{1,3}([,' \u00a0\u202f])\d{3}(?:\1\d{3})*(?:\.\d+)?$/;
const groupedComma = /^[+-]?\d{1,3}([.' \u00a0\u202f])\d{3}(?:\1\d{3})*(?:,\d+)?$/;
const plainPoint = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const plainComma = /^[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?$/;
const currencySigns = "$€£¥";

function withoutCurrency(text: string): string {
  const first = text.charAt(0);
  if (currencySigns.includes(first)) return text.slice(1).trimStart();
  const last = text.charAt(text.length - 1);
  if (currencySigns.includes(last)) return text.slice(0, -1).trimEnd();
  // "-$12.50"
  if ((first === "-" || first === "+") && currencySigns.includes(text.charAt(1))) return first + text.slice(2);
  return text;
}

/**
 * The number in `cell` read with `format`; null for an empty cell (a missing value); undefined when
 * it is not a number in that format.
 */
export function parseNumber(cell: string, format: NumberFormat): number | null | undefined {
  let text = cell.trim();
  if (text === "") return null;
  text = withoutCurrency(text);
  let value: number;
  if (format.decimal === ".") {
    if (plainPoint.test(text)) value = Number(text);
    else {
      const grouped = groupedPoint.exec(text);
      if (!grouped?.[1]) return undefined;
      value = Number(text.replaceAll(grouped[1], ""));
    }
  } else if (plainComma.test(text)) value = Number(text.replace(",", "."));
  else {
    const grouped = groupedComma.exec(text);
    if (!grouped?.[1]) return undefined;
    value = Number(text.replaceAll(grouped[1], "").replace(",", "."));
  }
  return Number.isFinite(value) ? value : undefined;
}

/**
 * What one cell says about the file's decimal separator: only "." or only "," reads it, both read it
 * alike ("12"), both read it differently ("1,234": 1234 or 1.234), or neither reads it.
 */
export type NumberEvidence = "point" | "comma" | "either" | "ambiguous" | "none" | "empty";

export function numberEvidence(cell: string): NumberEvidence {
  const point = parseNumber(cell, { decimal: "." });
  if (point === null) return "empty";
  const comma = parseNumber(cell, { decimal: "," });
  if (point === undefined) return comma === undefined ? "none" : "comma";
  if (comma === undefined || comma === null) return "point";
  return point === comma ? "either" : "ambiguous";
}
