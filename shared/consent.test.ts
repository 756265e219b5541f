import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { consentDigest } from "./consent";

describe("consentDigest", () => {
  it("is the SHA-256 of the text's UTF-8 bytes, as Node computes it", () => {
    for (const text of ["", "I authorise a charge of $170.00 now.", "Ünïcødé – “quotes” and €, ¥"]) {
      expect(consentDigest(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    }
  });

  it("changes with a single character", () => {
    expect(consentDigest("I agree to $49.00")).not.toBe(consentDigest("I agree to $49.01"));
  });
});
