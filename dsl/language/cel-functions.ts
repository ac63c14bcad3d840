/**
 * The CEL functions and macros flow expressions can call: the standard library of the runtime
 * (`@bufbuild/cel`'s `celEnv()`, metered in `dsl/expr/meter.ts`), documented for completion and hover.
 * `cel-functions.test.ts` checks the list against the runtime both ways: every function here is
 * in the runtime's environment and every example evaluates; every named function of the
 * environment is here.
 */

/** What a member function is called on. */
export type CelReceiver = "string" | "bytes" | "list" | "map" | "timestamp" | "duration";

export interface CelFunctionDoc {
  name: string;
  /** `function`: `size(x)`; `method`: `x.size()`; `macro`: expanded by the parser (`has`, `all`, ...). */
  kind: "function" | "method" | "macro";
  /** Receivers of a method or member macro. */
  on?: readonly CelReceiver[];
  /** Overloads, as CEL writes them. */
  signatures: readonly string[];
  doc: string;
  /** Monaco snippet inserted on completion (after the name's start). */
  snippet: string;
  /** An expression using it that evaluates to `true` (checked by the tests). */
  example: string;
}

const timestampGetter = (name: string, what: string, from: string): CelFunctionDoc => ({
  name,
  kind: "method",
  on: ["timestamp"],
  signatures: [`timestamp.${name}() -> int`, `timestamp.${name}(timezone: string) -> int`],
  doc: `${what} of a timestamp, in UTC or the given IANA time zone (\`"Europe/Paris"\`)${from}.`,
  snippet: `${name}()`,
  example: `timestamp("2026-03-01T10:20:30.250Z").${name}() >= 0`,
});

const durationGetter = (name: string, what: string): CelFunctionDoc => ({
  name,
  kind: "method",
  on: ["timestamp", "duration"],
  signatures: [
    `timestamp.${name}() -> int`,
    `timestamp.${name}(timezone: string) -> int`,
    `duration.${name}() -> int`,
  ],
  doc: `${what} of a timestamp (UTC or the given time zone); for a duration, its length in ${what.toLowerCase()}.`,
  snippet: `${name}()`,
  example: `duration("90m").${name}() >= 0`,
});

/** Every function and macro, grouped as the completion list shows them. */
export const CEL_FUNCTIONS: readonly CelFunctionDoc[] = [
  {
    name: "size",
    kind: "function",
    signatures: [
      "size(string) -> int",
      "size(bytes) -> int",
      "size(list) -> int",
      "size(map) -> int",
    ],
    doc: "Length of a string (code points), bytes, list or map. Also a method: `x.size()`.",
    snippet: "size(${1})",
    example: 'size("abc") == 3 && size([1, 2]) == 2',
  },
  {
    name: "size",
    kind: "method",
    on: ["string", "bytes", "list", "map"],
    signatures: ["string.size() -> int", "list.size() -> int", "map.size() -> int"],
    doc: "Length of the value: characters of a string, items of a list, entries of a map.",
    snippet: "size()",
    example: '"abc".size() == 3',
  },
  {
    name: "has",
    kind: "macro",
    signatures: ["has(map.field) -> bool"],
    doc: "Whether a field is present: `has(steps.contact.output.phone)` is false when the output has no `phone`, where reading it would fail.",
    snippet: "has(${1})",
    example: "has({'a': 1}.a)",
  },
  {
    name: "int",
    kind: "function",
    signatures: [
      "int(double) -> int",
      "int(string) -> int",
      "int(uint) -> int",
      "int(timestamp) -> int",
    ],
    doc: "Converts to a 64-bit integer: truncates a double, parses a string, a timestamp's Unix seconds.",
    snippet: "int(${1})",
    example: 'int("42") == 42 && int(2.9) == 2',
  },
  {
    name: "uint",
    kind: "function",
    signatures: ["uint(int) -> uint", "uint(double) -> uint", "uint(string) -> uint"],
    doc: "Converts to an unsigned integer.",
    snippet: "uint(${1})",
    example: "uint(3) == 3u",
  },
  {
    name: "double",
    kind: "function",
    signatures: ["double(int) -> double", "double(uint) -> double", "double(string) -> double"],
    doc: "Converts to a double: `double(inputs.count) * 1.2` (CEL does not mix int and double in arithmetic).",
    snippet: "double(${1})",
    example: 'double(2) == 2.0 && double("1.5") == 1.5',
  },
  {
    name: "string",
    kind: "function",
    signatures: [
      "string(int) -> string",
      "string(double) -> string",
      "string(bool) -> string",
      "string(bytes) -> string",
      "string(timestamp) -> string",
      "string(duration) -> string",
    ],
    doc: "Converts to a string, e.g. to use a number in a template or a string input.",
    snippet: "string(${1})",
    example: 'string(42) == "42"',
  },
  {
    name: "bool",
    kind: "function",
    signatures: ["bool(string) -> bool"],
    doc: 'Parses `"true"` or `"false"`.',
    snippet: "bool(${1})",
    example: 'bool("true")',
  },
  {
    name: "bytes",
    kind: "function",
    signatures: ["bytes(string) -> bytes"],
    doc: "The UTF-8 bytes of a string.",
    snippet: "bytes(${1})",
    example: 'size(bytes("é")) == 2',
  },
  {
    name: "timestamp",
    kind: "function",
    signatures: ["timestamp(string) -> timestamp", "timestamp(int) -> timestamp"],
    doc: "An RFC 3339 string (`2026-01-31T09:00:00Z`) or Unix seconds as a timestamp; compare timestamps, add durations.",
    snippet: "timestamp(${1})",
    example: 'timestamp("2026-01-31T09:00:00Z") < timestamp("2026-02-01T00:00:00Z")',
  },
  {
    name: "duration",
    kind: "function",
    signatures: ["duration(string) -> duration"],
    doc: 'A duration such as `"30s"`, `"1.5h"` or `"90m"`: `timestamp(x) + duration("24h")`.',
    snippet: "duration(${1})",
    example: 'duration("90m") == duration("1.5h")',
  },
  {
    name: "type",
    kind: "function",
    signatures: ["type(dyn) -> type"],
    doc: "The type of a value: `type(x) == string`.",
    snippet: "type(${1})",
    example: "type(1) == int",
  },
  {
    name: "dyn",
    kind: "function",
    signatures: ["dyn(dyn) -> dyn"],
    doc: "Marks a value as dynamically typed (mixing types in a list or a comparison).",
    snippet: "dyn(${1})",
    example: "dyn(1) == 1",
  },
  {
    name: "contains",
    kind: "method",
    on: ["string"],
    signatures: ["string.contains(string) -> bool"],
    doc: "Whether the string contains the given text.",
    snippet: "contains(${1})",
    example: '"invoice overdue".contains("overdue")',
  },
  {
    name: "startsWith",
    kind: "method",
    on: ["string"],
    signatures: ["string.startsWith(string) -> bool"],
    doc: "Whether the string starts with the given prefix.",
    snippet: "startsWith(${1})",
    example: '"CTR-1".startsWith("CTR-")',
  },
  {
    name: "endsWith",
    kind: "method",
    on: ["string"],
    signatures: ["string.endsWith(string) -> bool"],
    doc: "Whether the string ends with the given suffix.",
    snippet: "endsWith(${1})",
    example: '"ada@example.com".endsWith("@example.com")',
  },
  {
    name: "matches",
    kind: "method",
    on: ["string"],
    signatures: ["string.matches(regex: string) -> bool"],
    doc: "Whether the string matches an RE2 regular expression (anywhere, unless anchored with `^...$`). Each distinct pattern is compiled once; very large patterns are refused.",
    snippet: "matches(${1})",
    example: '"CTR-42".matches("^CTR-[0-9]+$")',
  },
  {
    name: "all",
    kind: "macro",
    on: ["list", "map"],
    signatures: ["list.all(x, predicate) -> bool", "map.all(key, predicate) -> bool"],
    doc: "True when the predicate holds for every item (every key of a map).",
    snippet: "all(${1:x}, ${2})",
    example: "[1, 2, 3].all(x, x > 0)",
  },
  {
    name: "exists",
    kind: "macro",
    on: ["list", "map"],
    signatures: ["list.exists(x, predicate) -> bool", "map.exists(key, predicate) -> bool"],
    doc: "True when the predicate holds for at least one item.",
    snippet: "exists(${1:x}, ${2})",
    example: "[1, 2, 3].exists(x, x == 2)",
  },
  {
    name: "exists_one",
    kind: "macro",
    on: ["list", "map"],
    signatures: ["list.exists_one(x, predicate) -> bool"],
    doc: "True when the predicate holds for exactly one item.",
    snippet: "exists_one(${1:x}, ${2})",
    example: "[1, 2, 3].exists_one(x, x > 2)",
  },
  {
    name: "map",
    kind: "macro",
    on: ["list", "map"],
    signatures: ["list.map(x, expr) -> list", "list.map(x, predicate, expr) -> list"],
    doc: "A new list of `expr` for each item (with a predicate: only the items it keeps).",
    snippet: "map(${1:x}, ${2})",
    example: "[1, 2].map(x, x * 10) == [10, 20]",
  },
  {
    name: "filter",
    kind: "macro",
    on: ["list", "map"],
    signatures: ["list.filter(x, predicate) -> list"],
    doc: "The items for which the predicate holds.",
    snippet: "filter(${1:x}, ${2})",
    example: "[1, 2, 3].filter(x, x > 1) == [2, 3]",
  },
  timestampGetter("getFullYear", "The year", ""),
  timestampGetter("getMonth", "The month", ", 0-based (January is 0)"),
  timestampGetter("getDate", "The day of the month", ", 1-based"),
  timestampGetter("getDayOfMonth", "The day of the month", ", 0-based"),
  timestampGetter("getDayOfWeek", "The day of the week", ", 0 for Sunday"),
  timestampGetter("getDayOfYear", "The day of the year", ", 0-based"),
  durationGetter("getHours", "Hours"),
  durationGetter("getMinutes", "Minutes"),
  durationGetter("getSeconds", "Seconds"),
  durationGetter("getMilliseconds", "Milliseconds"),
];

/** Functions called without a receiver (`size(x)`, `has(x.y)`). */
export const CEL_GLOBAL_FUNCTIONS = CEL_FUNCTIONS.filter((f) => !f.on);

/** Member functions and macros for values of the given JSON Schema types (all when unknown). */
export function celMethodsFor(types: readonly string[]): CelFunctionDoc[] {
  const receivers = new Set<CelReceiver>();
  for (const t of types) {
    if (t === "string") receivers.add("string");
    else if (t === "array") receivers.add("list");
    else if (t === "object") receivers.add("map");
  }
  const methods = CEL_FUNCTIONS.filter((f) => f.on);
  if (types.length === 0) return methods;
  return methods.filter((f) => f.on!.some((r) => receivers.has(r)));
}

/** The documentation of a function or method by name (all overloads merged), if any. */
export function celFunctionDoc(name: string, member: boolean): CelFunctionDoc | undefined {
  const all = CEL_FUNCTIONS.filter((f) => f.name === name);
  return all.find((f) => (member ? f.on : !f.on)) ?? all[0];
}
