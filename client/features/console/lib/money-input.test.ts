import { describe, expect, it } from "vitest";
import { inputToMinor, minorToInput } from "./money-input";

describe("money typed by an operator", () => {
  it("shows minor units as a plain decimal of the currency", () => {
    expect(minorToInput(1_036_133, "USD")).toBe("10361.33");
    expect(minorToInput(5, "USD")).toBe("0.05");
    expect(minorToInput(500, "JPY")).toBe("500");
  });

  it("reads what was typed back into minor units without floating point", () => {
    expect(inputToMinor("10361.33", "USD")).toBe(1_036_133);
    expect(inputToMinor("1,000", "USD")).toBe(100_000);
    expect(inputToMinor("0.1", "USD")).toBe(10);
    expect(inputToMinor("19.99", "USD")).toBe(1_999);
    expect(inputToMinor(" 7 ", "USD")).toBe(700);
    expect(inputToMinor("500", "JPY")).toBe(500);
  });

  it("refuses what is not an amount of the currency", () => {
    expect(inputToMinor("", "USD")).toBeNull();
    expect(inputToMinor("abc", "USD")).toBeNull();
    expect(inputToMinor("-5", "USD")).toBeNull();
    expect(inputToMinor("1.234", "USD")).toBeNull();
    expect(inputToMinor("1.5", "JPY")).toBeNull();
    expect(inputToMinor("1e3", "USD")).toBeNull();
  });
});
