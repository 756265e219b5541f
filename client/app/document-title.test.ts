import { describe, expect, it } from "vitest";
import { documentTitle } from "./document-title";

describe("documentTitle", () => {
  it("names the page, then the customer's account or the console, then the provider", () => {
    expect(documentTitle([undefined, { titleScope: "account" }, { title: "Usage" }], "Acme Analytics", "Acme API")).toBe("Usage · Acme Analytics · Acme API");
    expect(documentTitle([undefined, { titleScope: "console" }, { title: "Accounts" }], null, "Acme API")).toBe("Accounts · Console · Acme API");
    expect(documentTitle([undefined, { title: "Sign in" }], null, "Acme API")).toBe("Sign in · Acme API");
  });

  it("leaves out what is not known yet, and takes the innermost page's name", () => {
    expect(documentTitle([{ titleScope: "account" }, { title: "Plans" }, { title: "Change plan" }], null, "Headroom")).toBe("Change plan · Headroom");
    expect(documentTitle([undefined, null, "not a handle"], null, "Headroom")).toBe("Headroom");
  });
});
