import { describe, expect, it } from "vitest";
import { withParams } from "./search-params";

describe("withParams", () => {
  it("sets and removes keys at once, keeps the others, and leaves the original alone", () => {
    const before = new URLSearchParams("account=acc_1&limit=100&id=m_9");
    const after = withParams(before, { account: "acc_2", limit: null, id: "", plan: "pro" });
    expect(after.toString()).toBe("account=acc_2&plan=pro");
    expect(before.toString()).toBe("account=acc_1&limit=100&id=m_9");
  });
});
