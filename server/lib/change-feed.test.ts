import { describe, expect, it } from "vitest";
import { ChangeFeed } from "./change-feed";

describe("ChangeFeed", () => {
  it("delivers a change to the handlers of its kind, in order, and past one that throws", () => {
    const feed = new ChangeFeed();
    const seen: string[] = [];
    feed.subscribe("usage.flushed", (c) => seen.push(`first ${c.accountIds.join()}`));
    feed.subscribe("usage.flushed", () => {
      throw new Error("boom");
    });
    const off = feed.subscribe("usage.flushed", (c) => seen.push(`third ${c.accountIds.join()}`));
    feed.subscribe("keys.changed", () => seen.push("keys"));
    feed.publish({ kind: "usage.flushed", accountIds: ["a", "b"] });
    expect(seen).toEqual(["first a,b", "third a,b"]);
    off();
    feed.publish({ kind: "usage.flushed", accountIds: ["c"] });
    expect(seen).toEqual(["first a,b", "third a,b", "first c"]);
  });
});
