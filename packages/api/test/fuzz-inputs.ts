import fc from "fast-check";
import { z } from "zod";

// Hostile inputs shaped like a procedure's own input schema: each field gets values that pass its
// type where they can (so calls reach the handlers and the database, not only zod's refusals) but
// carry the content an attacker would send: odd unicode, SQL and script fragments, NaN and
// Infinity, dates far outside any plausible range, prototype-pollution keys, deep JSON, ids of
// another tenant. Now and then a field, or the whole input, is anything at all.

/** Ids the generator may put in uuid fields: the caller's own, the other tenant's, random ones. */
export interface IdPools {
  own: string[];
  other: string[];
  /** The caller's own ids by the field that names them ("kpiId"), for inputs meant to get through. */
  ownByField: Record<string, string>;
}

const nastyStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF\uD800",
  "\u202Eevil\u202C",
  "\u200B\u200D\uFEFF",
  "👩‍👩‍👧‍👦",
  "e\u0301\u0301\u0301\u0301",
  "ﷺ",
  "𝕳𝖊𝖑𝖑𝖔",
  "'; DROP TABLE kpis; --",
  "' OR '1'='1",
  "\\",
  "%_%",
  "$1",
  "E'\\x00'",
  "<script>alert(1)</script>",
  "javascript:alert(1)",
  "${process.exit()}",
  "{{7*7}}",
  "__proto__",
  "constructor",
  "prototype",
  "NaN",
  "-Infinity",
  "1e309",
  "0001-01-01",
  "9999-12-31T23:59:59Z",
  "-271821-04-20T00:00:00Z",
  "\r\n\t",
  "=cmd|'/c calc'!A1",
  "../../etc/passwd",
];

/** A long string of odd characters, cheap to build: repeats, not random megabytes. */
const hugeString = fc
  .tuple(fc.constantFrom("a", "é", "😀", "\u0301", "\uD800", "'", "\u0000"), fc.integer({ min: 1_000, max: 300_000 }))
  .map(([unit, count]) => unit.repeat(count));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: hugeString },
);

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, -(2 ** 31) - 1),
  fc.integer(),
  fc.double(),
  fc.integer({ min: 1, max: 100 }),
);

/** Where four-digit years end, and just past: what databases and drivers disagree about. */
export const edgeDates = [
  new Date("0001-01-01T00:00:00.000Z"),
  new Date("9999-12-31T23:59:59.999Z"),
  new Date("+010000-01-01T00:00:00.000Z"),
  new Date("-000001-01-01T00:00:00.000Z"),
];

/** Dates from the valid range's ends to a plain yesterday; invalid ones and date-like strings too. */
const hostileDate: fc.Arbitrary<unknown> = fc.oneof(
  fc.date({ noInvalidDate: false }),
  fc.date({ min: new Date(Date.now() - 90 * 86_400_000), max: new Date() }),
  fc.constantFrom(new Date(8.64e15), new Date(-8.64e15), new Date(0), new Date(Number.NaN)),
  fc.constantFrom(...edgeDates),
  fc.constantFrom("9999-99-99", "2026-02-30", "-000001-01-01T00:00:00Z", "+275760-09-13T00:00:00Z"),
  hostileNumber,
);

/** JSON that tries to reach Object.prototype, parsed the way a request body is. */
const pollutingJson = fc
  .constantFrom(
    '{"__proto__": {"polluted": "yes"}}',
    '{"constructor": {"prototype": {"polluted": "yes"}}}',
    '{"a": {"__proto__": {"polluted": "yes"}}, "token": "t"}',
    '{"__proto__": null}',
    '{"toString": "x", "valueOf": 1, "hasOwnProperty": "y"}',
  )
  .map((text): unknown => JSON.parse(text));

/** Nesting as deep as a request body under the host's size limit can carry. */
const deepJson = fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.boolean()).map(([depth, asArray]) => {
  let value: unknown = "bottom";
  for (let level = 0; level < depth; level += 1) value = asArray ? [value] : { nested: value };
  return value;
});

export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: pollutingJson },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 5 }) },
);

/** Anything at all: what a client that ignores the schema could send. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  hostileJson,
  hostileString,
  hostileNumber,
  fc.constantFrom(null, undefined, true, [], {}),
);

function uuidField(ids: IdPools): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: ids.own.length > 0 ? fc.constantFrom(...ids.own) : fc.uuid() },
    { weight: 3, arbitrary: fc.constantFrom(...ids.other) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: hostileString },
  );
}

/** Values for one schema: mostly of its type, sometimes (weight 1 in 8) anything. */
export function hostileValue(schema: z.core.$ZodType, ids: IdPools): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 7, arbitrary: typedValue(schema, ids) }, { weight: 1, arbitrary: anything });
}

function typedValue(schema: z.core.$ZodType, ids: IdPools): fc.Arbitrary<unknown> {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    const absent = schema instanceof z.ZodOptional ? undefined : null;
    return fc.oneof(fc.constant(absent), hostileValue(schema.unwrap(), ids));
  }
  if (schema instanceof z.ZodDefault) return fc.oneof(fc.constant(undefined), hostileValue(schema.unwrap(), ids));
  if (schema instanceof z.ZodObject) return hostileObject(schema, ids);
  if (schema instanceof z.ZodArray) return fc.array(hostileValue(schema.element, ids), { maxLength: 4 });
  if (schema instanceof z.ZodUnion) return fc.oneof(...schema.options.map((option) => hostileValue(option, ids)));
  if (schema instanceof z.ZodEnum) return fc.oneof(fc.constantFrom(...schema.options), hostileString);
  if (schema instanceof z.ZodBoolean) return fc.boolean();
  if (schema instanceof z.ZodNumber) return hostileNumber;
  if (schema instanceof z.ZodDate) return hostileDate;
  if (schema instanceof z.ZodRecord) return hostileJson;
  if (schema instanceof z.ZodUUID) return uuidField(ids);
  if (schema instanceof z.ZodString) {
    return schema.format === "uuid" ? uuidField(ids) : hostileString;
  }
  return anything;
}

/**
 * An object with each of its fields, sometimes missing one, sometimes with an own `__proto__`,
 * `constructor` or unknown key beside them (Object.fromEntries makes own properties, as JSON.parse does).
 */
function hostileObject(schema: z.ZodObject, ids: IdPools): fc.Arbitrary<unknown> {
  const fields = Object.entries<z.core.$ZodType>(schema.shape).map(([key, field]) =>
    hostileValue(field, ids).map((value): [string, unknown] => [key, value]),
  );
  const extra = fc.array(
    fc.tuple(fc.constantFrom("__proto__", "constructor", "prototype", "role", "userId", "workspaceId"), hostileJson),
    { maxLength: 2 },
  );
  return fc
    .tuple(fc.tuple(...fields), extra)
    .map(([entries, extras]) => Object.fromEntries([...extras, ...entries.filter(([, value]) => value !== undefined)]));
}

/**
 * A procedure's input: tRPC stacks the workspace layer's schema and the handler's own; the
 * generated object carries the fields of both. The workspace is the caller's own most of the
 * time (so the handler runs), another tenant's or garbage the rest.
 */
export function procedureInput(
  schemas: z.core.$ZodType[],
  ids: IdPools,
  ownWorkspaceId: string,
): fc.Arbitrary<unknown> {
  if (schemas.length === 0) return fc.oneof(fc.constant(undefined), anything);
  const parts = schemas.map((schema) => hostileValue(schema, ids));
  const scoped = schemas.some((schema) => schema instanceof z.ZodObject && "workspaceId" in schema.shape);
  return fc.tuple(fc.nat(7), fc.tuple(...parts)).map(([draw, values]) => {
    const present = values.filter((value) => value !== undefined);
    const objects = present.filter(isRecord);
    if (objects.length < present.length) return present[present.length - 1];
    // Spread, not Object.assign: an own `__proto__` key stays a key instead of becoming the prototype.
    const merged = Object.fromEntries(objects.flatMap((value) => Object.entries(value)));
    return scoped && draw < 6 ? { ...merged, workspaceId: ownWorkspaceId } : merged;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * One input of the schema's shape with every string field set to `text` and everything else
 * plain and valid: the cases the random search must not be left to find by luck (a NUL byte
 * reaches PostgreSQL only if every other field passes).
 */
export function uniformInput(
  schemas: z.core.$ZodType[],
  fill: { text: string; date: Date },
  ids: IdPools,
  ownWorkspaceId: string,
): unknown {
  const values = schemas.map((schema) => plainValue(schema, fill, ids));
  const objects = values.filter(isRecord);
  const merged = Object.fromEntries(objects.flatMap((value) => Object.entries(value)));
  return "workspaceId" in merged ? { ...merged, workspaceId: ownWorkspaceId, workspaceSlug: undefined } : merged;
}

function plainValue(schema: z.core.$ZodType, fill: { text: string; date: Date }, ids: IdPools, field = ""): unknown {
  const { text } = fill;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return plainValue(schema.unwrap(), fill, ids, field);
  }
  if (schema instanceof z.ZodObject) {
    return Object.fromEntries(
      Object.entries<z.core.$ZodType>(schema.shape).map(([key, inner]) => [key, plainValue(inner, fill, ids, key)]),
    );
  }
  if (schema instanceof z.ZodArray) return [plainValue(schema.element, fill, ids, field)];
  if (schema instanceof z.ZodUnion) return plainValue(schema.options[0] ?? z.string(), fill, ids);
  if (schema instanceof z.ZodEnum) return schema.options[0];
  if (schema instanceof z.ZodBoolean) return true;
  if (schema instanceof z.ZodNumber) return 1;
  if (schema instanceof z.ZodDate) return fill.date;
  if (schema instanceof z.ZodRecord) return { token: text, owner: text, repo: text, url: text };
  if (schema instanceof z.ZodUUID || (schema instanceof z.ZodString && schema.format === "uuid"))
    return ids.ownByField[field] ?? ids.own[0];
  if (schema instanceof z.ZodString) return text;
  return text;
}
