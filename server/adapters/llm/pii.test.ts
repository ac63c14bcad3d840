import { describe, expect, it } from "vitest";
import {
  detectPii,
  guardPii,
  ibanValid,
  luhnValid,
  nirKeyValid,
  redactPii,
  type PiiKind,
} from "./pii";

describe("checksums", () => {
  it.each([
    ["4111 1111 1111 1111", true],
    ["5555-5555-5555-4444", true],
    ["378282246310005", true],
    ["4111 1111 1111 1112", false],
    ["1234567812345678", false],
  ])("Luhn %s -> %s", (card, ok) => expect(luhnValid(card)).toBe(ok));

  it.each([
    ["GB82 WEST 1234 5698 7654 32", true],
    ["DE89370400440532013000", true],
    ["FR14 2004 1010 0505 0001 3M02 606", true],
    ["GB82 WEST 1234 5698 7654 33", false],
    ["DE89370400440532013001", false],
    ["XX00", false],
  ])("IBAN %s -> %s", (iban, ok) => expect(ibanValid(iban)).toBe(ok));

  it.each([
    ["1 85 05 78 006 084 91", true],
    ["1 85 05 78 006 084 36", false],
    ["1850578006084", true],
  ])("NIR key %s -> %s", (nir, ok) => expect(nirKeyValid(nir)).toBe(ok));
});

describe("detectPii", () => {
  const table: Array<[string, PiiKind | null]> = [
    ["Write to ada.lovelace+crm@example.co.uk today", "email"],
    ["Call +33 6 12 34 56 78", "phone"],
    ["Call +14155550132", "phone"],
    ["Call (415) 555-0132", "phone"],
    ["Call 415-555-0132", "phone"],
    ["Appelez le 06 12 34 56 78", "phone"],
    ["Appelez le 0612345678", "phone"],
    ["Ring 020 7946 0958", "phone"],
    ["Card 4111 1111 1111 1111 exp 12/29", "card"],
    ["Card 4111 1111 1111 1112 exp 12/29", null],
    ["IBAN GB82 WEST 1234 5698 7654 32", "iban"],
    ["IBAN DE89370400440532013000", "iban"],
    ["IBAN GB82 WEST 1234 5698 7654 33", null],
    ["SSN 123-45-6789", "national_id"],
    ["SSN 000-45-6789", null],
    ["NINO AB 12 34 56 C", "national_id"],
    ["NINO BG123456A", null],
    ["NIR 1 85 05 78 006 084 91", "national_id"],
    ["NIR 1 85 05 78 006 084 36", null],
    ["Invoice 2024-01-15, order 12345, total 1,250.50 EUR", null],
    ["Version 1.2.3 and build 05.03.2024", null],
  ];

  it.each(table)("%s -> %s", (text, kind) => {
    const found = detectPii(text);
    if (kind === null) expect(found).toEqual([]);
    else expect(found.map((m) => m.kind)).toEqual([kind]);
  });

  it("reports a card number as a card, not as a phone", () => {
    expect(
      detectPii("pay with 4111-1111-1111-1111 or +44 20 7946 0958").map((m) => m.kind),
    ).toEqual(["card", "phone"]);
  });
});

describe("redact, block, allow", () => {
  const input = {
    text: "Ada (ada@example.com, ada@example.com) paid with 4111 1111 1111 1111",
    labels: ["billing", "other"],
  };

  it("redacts with numbered typed placeholders; the same value keeps its placeholder", () => {
    expect(redactPii(input.text)).toBe("Ada ([EMAIL_1], [EMAIL_1]) paid with [CARD_1]");
    const { value, decision } = guardPii(input, "redact", "prompt");
    expect(value.text).toBe("Ada ([EMAIL_1], [EMAIL_1]) paid with [CARD_1]");
    expect(value.labels).toEqual(["billing", "other"]);
    expect(decision).toEqual({
      type: "pii",
      where: "prompt",
      policy: "redact",
      action: "redacted",
      counts: { email: 2, card: 1 },
    });
  });

  it("block leaves the value and says blocked", () => {
    const { value, decision } = guardPii(input, "block", "prompt");
    expect(value).toBe(input);
    expect(decision.action).toBe("blocked");
  });

  it("allow leaves the value and records what was seen", () => {
    const { value, decision } = guardPii(input, "allow", "output");
    expect(value).toBe(input);
    expect(decision).toMatchObject({ action: "allowed", counts: { email: 2, card: 1 } });
  });

  it("says none when there is nothing to find", () => {
    expect(guardPii({ a: "hello" }, "block", "prompt").decision.action).toBe("none");
  });

  it("decisions carry kinds and counts only, never the values", () => {
    const { decision } = guardPii(input, "allow", "prompt");
    expect(JSON.stringify(decision)).not.toMatch(/ada@|4111/);
  });
});

describe("phone numbers (libphonenumber-js)", () => {
  it("finds international and national numbers, each on its own", () => {
    const text =
      "Ring 07911 123456, Mobil +49 151 23456789, 030 1234567, 415-555-0132 415-555-0133, 0033 6 12 34 56 78";
    expect(detectPii(text).map((m) => m.value)).toEqual([
      "07911 123456",
      "+49 151 23456789",
      "030 1234567",
      "415-555-0132",
      "415-555-0133",
      "0033 6 12 34 56 78",
    ]);
  });

  it("does not take dates, identifiers or invalid numbers for phone numbers", () => {
    for (const text of [
      "on 15/01/2024 and 2024-01-15",
      "INV-2024-000123, order 100234567, ref 2024/0042, po 4500012345",
      "ID12345678901, 1 2 3 4 5 6 7 8 9",
      "Call +1 555 000 0000",
    ]) {
      expect(detectPii(text)).toEqual([]);
    }
  });

  it("finds the one number in long prose full of amounts, order numbers and years", () => {
    const text = "The quote is 1,250.50 EUR for order 12345 of 2024, see the terms. ".repeat(5000);
    expect(detectPii(`${text}Call +44 20 7946 0958.`).map((m) => m.kind)).toEqual(["phone"]);
  });
});
