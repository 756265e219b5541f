import fc from "fast-check";
import type { SchemaLike } from "./trpc";

/** Numbers that break naive code: beyond 2^53, ±1e308, denormals, -0, fractions, just past limits. */
export const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, -(2 ** 63), 1e21, 5e-324, -0, 0.5, -1, 0, 1_000_001, 8.64e15 + 1);

/** Strings that break naive code: empty, control characters, lone surrogates, RTL override, markup, paths. */
export const nastyString = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "\ud800",
  "\udfff\ud800",
  "\u202e\u0041",
  "💥".repeat(50),
  "e\u0301".repeat(30),
  "<script>alert(1)</script>",
  "' or 1=1 --",
  '"); drop table accounts; --',
  "../../etc/passwd",
  "%00",
  "%E0%A4%A",
  "null",
  "__proto__",
  "constructor",
  "toString",
  "hr_live_",
  "a".repeat(300),
  "\n\r\t",
  "USD",
  "Ω≈ç√∫",
  "０１２",
);

export const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  hugeNumber,
  nastyString,
);

/** Any JSON value, biased towards the nasty ones, nested a little. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  scalar,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(scalar, { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 12 }), scalar, { maxKeys: 5 }),
  fc.constantFrom({ __proto__: null, polluted: true }, JSON.parse('{"__proto__":{"polluted":true}}'), { constructor: { prototype: { polluted: true } } }),
);

/** An object with (some of) the expected fields, each with any value, plus maybe unexpected fields. */
export function recordOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.option(fc.dictionary(fc.string({ maxLength: 10 }), anyValue, { maxKeys: 3 }), { nil: undefined }))
    .map(([r, extra]) => (extra ? { ...extra, ...r } : r));
}

/** A body for an endpoint whose fields are known: mostly shaped like it, sometimes anything at all. */
export function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: recordOf(fields) }, { weight: 1, arbitrary: anyValue });
}

/** Request bodies that are not JSON, or not the JSON they look like. */
export const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom<string | Uint8Array>(
    "",
    "{",
    "[",
    '"',
    "nul",
    '{"key":',
    '{"a":1}garbage',
    "\ufeff{}",
    '{"key":"x","key":"y"}',
    "[".repeat(5_000) + "]".repeat(5_000),
    '{"a":'.repeat(2_000) + "1" + "}".repeat(2_000),
    "1e999999",
    "-",
    '{"cost":1e400}',
    '{"key":"\\ud800"}',
    '{"__proto__":{"polluted":true}}',
    Uint8Array.from([0xff, 0xfe, 0xfd, 0x00]),
    Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
  ),
);

/** Content types a client might send with a body. */
export const contentType = fc.constantFrom<string | undefined>(
  "application/json",
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=latin1",
  undefined,
);

/** A path segment: encoded strings, and raw bytes a router must survive (bad escapes, dots, slashes). */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }).map(encodeURIComponent),
  fc.string({ unit: "binary", minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom("%", "%zz", "%E0%A4%A", "%00", "..", "%2e%2e", "%2F", "a%2Fb", "%C0%AF", "%ff", "~", "*", "acc_", "key_", "%20"),
);

type Def = { type: string; shape?: Record<string, SchemaLike>; innerType?: SchemaLike; in?: SchemaLike; element?: SchemaLike; options?: SchemaLike[]; entries?: Record<string, unknown>; values?: unknown[] };
const defOf = (s: SchemaLike | undefined) => s?._zod?.def as Def | undefined;

/**
 * Values shaped by a zod schema, from `pool` for strings: mostly valid, so that the domain code
 * behind the validation is reached too (for the run where accepted input is allowed).
 */
export function plausible(s: SchemaLike | undefined, pool: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(s);
  if (!def || depth > 6) return anyValue;
  switch (def.type) {
    case "object":
      return fc.record(Object.fromEntries(Object.entries(def.shape ?? {}).map(([k, v]) => [k, plausible(v, pool, depth + 1)])), { requiredKeys: [] });
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return plausible(def.innerType, pool, depth + 1);
    case "pipe":
      return plausible(def.in, pool, depth + 1);
    case "string":
      return fc.oneof({ weight: 3, arbitrary: pool }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });
    case "number":
    case "int":
      return fc.oneof(fc.integer({ min: -2, max: 1_000 }), fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), hugeNumber);
    case "boolean":
      return fc.boolean();
    case "enum":
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.values(def.entries ?? { x: "x" })) }, { weight: 1, arbitrary: scalar });
    case "literal":
      return fc.constantFrom(...(def.values ?? [null]));
    case "array":
      return fc.array(plausible(def.element, pool, depth + 1), { maxLength: 4 });
    case "union":
      return fc.oneof(...(def.options ?? []).map((o) => plausible(o, pool, depth + 1)));
    default:
      return anyValue;
  }
}

/** Inputs for a schema that are near-valid or anything at all; filter them for the invalid ones. */
export function nearValid(s: SchemaLike | undefined, pool: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const def = defOf(s);
  if (def?.type === "object") {
    const fields = Object.fromEntries(Object.entries(def.shape ?? {}).map(([k, v]) => [k, fc.oneof(plausible(v, pool, 1), anyValue)]));
    return fc.oneof({ weight: 4, arbitrary: recordOf(fields) }, { weight: 1, arbitrary: anyValue });
  }
  return fc.oneof(plausible(s, pool), anyValue);
}
