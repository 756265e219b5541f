import { describe, expect, it } from "vitest";
import { hasCredentialInQuery } from "./key-in-query";

describe("hasCredentialInQuery", () => {
  it("finds a credential parameter wherever it sits in the query", () => {
    for (const url of ["/x?key=1", "/x?a=1&api_key=2", "/x?APIKEY=3", "/x?b=2&api-key=", "/x?access_token=t", "/x?token=t&z=1", "/x?api%5Fkey=4", "/x?%6Bey=5"]) {
      expect(hasCredentialInQuery(url), url).toBe(true);
    }
  });

  it("leaves other parameters alone", () => {
    for (const url of ["/x", "/x?", "/x?city=Oslo", "/x?monkey=1", "/x?tokens=2", "/x?a=key%3D1", "/x?q=api_key", "/x?hotkey=1&mykey=2"]) {
      expect(hasCredentialInQuery(url), url).toBe(false);
    }
  });
});
