import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { ManualClock } from "../lib/clock";
import { PortalClient } from "../testing/portal-client";
import { startTestServer, type TestServer } from "../testing/test-server";
import { supportReplyInput, supportRequestInput } from "./support";

const messageOf = (r: { success: boolean; error?: { issues: Array<{ message: string }> } }) => r.error?.issues.map((i) => i.message);

describe("a support request's problems, in words a customer can act on", () => {
  it("too short, counting the trimmed text", () => {
    expect(messageOf(supportRequestInput.safeParse({ topic: "plan", message: "  help   " }))).toEqual(["Tell us a little more: at least 10 characters, 6 to go."]);
    expect(messageOf(supportRequestInput.safeParse({ topic: "plan", message: "   " }))).toEqual(["Write your question first (at least 10 characters)."]);
  });

  it("too long says by how much, never zod's wording", () => {
    const r = supportRequestInput.safeParse({ topic: "bill", message: "x".repeat(4210) });
    expect(messageOf(r)).toEqual(["Your question is 4,210 characters long; the limit is 4,000. Shorten it by 210 characters, or send the rest in a second request."]);
    expect(messageOf(r)!.join(" ")).not.toMatch(/Too big|expected string|<=/);
  });

  it("a missing question or an unknown topic", () => {
    expect(messageOf(supportRequestInput.safeParse({ topic: "plan" }))).toEqual(["Write your question first (at least 10 characters)."]);
    expect(messageOf(supportRequestInput.safeParse({ topic: "weather", message: "Which plan fits us best?" }))).toEqual(["Choose a topic for your question."]);
  });

  it("keeps line breaks inside the question, trims only its ends", () => {
    const r = supportRequestInput.parse({ topic: "other", message: "\n  Line one\n\nLine three  \n" });
    expect(r.message).toBe("Line one\n\nLine three");
    expect(supportRequestInput.safeParse({ topic: "other", message: "y".repeat(4000) }).success).toBe(true);
  });

  it("an operator's reply", () => {
    expect(messageOf(supportReplyInput.safeParse({ requestId: "sup_1", reply: " " }))).toEqual(["Write a reply first."]);
    expect(messageOf(supportReplyInput.safeParse({ requestId: "sup_1", reply: "z".repeat(4001) }))).toEqual(["The reply is 4,001 characters long; the limit is 4,000. Shorten it by 1 character."]);
  });
});

describe("support.create over tRPC", () => {
  const clock = new ManualClock(Date.parse("2026-11-25T15:30:00Z"));
  let srv: TestServer;
  let customer: PortalClient;
  beforeAll(async () => {
    srv = await startTestServer({ clock });
    const account = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" });
    customer = await PortalClient.signIn(srv, account.id);
  });
  afterAll(() => srv.stop());

  it("answers a 400 whose message is the plain words", async () => {
    const tooLong = await customer.mutate("support.create", { topic: "plan", message: "a".repeat(4001) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.error?.message).toBe("Your question is 4,001 characters long; the limit is 4,000. Shorten it by 1 character, or send the rest in a second request.");
  });

  it("stores the line breaks and lists them back", async () => {
    expect((await customer.mutate("support.create", { topic: "bill", message: "Invoice 12:\nline one\nline two" })).status).toBe(200);
    const list = (await customer.query<Array<{ message: string }>>("support.list")).data!;
    expect(list.map((r) => r.message)).toContain("Invoice 12:\nline one\nline two");
  });
});
