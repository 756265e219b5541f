import { describe, expect, it } from "vitest";
import { actorInWords, describeAuditEntry, type AuditEntryLike } from "./audit-words";

const PLANS: Record<string, string> = { starter: "Starter", pro: "Pro", business: "Business" };
const ctx = { planName: (id: string) => PLANS[id] ?? id, accountName: (id: string) => (id === "acc_acme" ? "Acme Analytics" : undefined) };
const entry = (action: string, details: Record<string, unknown>, accountId: string | null = "acc_acme", actor = "operator:Dana Reyes"): AuditEntryLike => ({ action, details, accountId, actor });

describe("audit entries in words", () => {
  it("say a plan change with its plans, the account's name and the amount due now in money", () => {
    const words = describeAuditEntry(entry("plan_change.confirmed", { kind: "plan_change", from: "starter", to: "pro", status: "applied", amountDueNowMinor: 1630, currency: "USD" }, "acc_acme", "customer:ops@acme.example"), ctx);
    expect(words.sentence).toBe("Changed Acme Analytics from Starter to Pro");
    expect(words.facts).toEqual(["Amount due now: $16.30", "Status: Applied"]);
  });

  it("use the entry's currency, zero-decimal ones included", () => {
    const words = describeAuditEntry(entry("refund.issued", { invoice: "HR-000014", amountMinor: 500, currency: "JPY", reason: "double charge", stripeRefund: null }), ctx);
    expect(words.sentence).toBe("Refunded ¥500 on invoice HR-000014 for Acme Analytics");
    expect(words.facts).toEqual(["Reason: double charge"]);
  });

  it("say grandfathering with its end, once in UTC", () => {
    expect(describeAuditEntry(entry("grandfathering.set", { untilMs: Date.UTC(2027, 0, 1, 14, 28) }), ctx).sentence).toBe("Grandfathered Acme Analytics until 1 Jan 2027, 14:28 UTC");
  });

  it("fall back to the account id when the page does not know its name", () => {
    expect(describeAuditEntry(entry("plan_change.cancelled", { planChangeId: "pc_1" }, "acc_other"), ctx).sentence).toBe("Cancelled a waiting plan change for acc_other");
  });

  it("say enforcement flips for a plan and for a cohort", () => {
    expect(describeAuditEntry(entry("enforcement.changed", { planId: "starter", from: "shadow", to: "enforce", cohort: null, accounts: 4 }, null), ctx)).toEqual({
      sentence: "Changed enforcement of Starter from shadow to enforce",
      facts: ["Accounts affected: 4"],
    });
    expect(describeAuditEntry(entry("enforcement.changed", { planId: "starter", from: "per account", to: "enforce", cohort: ["a", "b"], accounts: 2 }, null), ctx).sentence).toBe(
      "Changed enforcement of 2 accounts on Starter from per account to enforce",
    );
  });

  it("say sign-ins to the console and to the portal apart", () => {
    expect(describeAuditEntry(entry("sign_in", { via: "admin-token" }, null), ctx).sentence).toBe("Signed in to the console with the admin token");
    expect(describeAuditEntry(entry("sign_in", { via: "link" }, "acc_acme", "customer:acc_acme"), ctx).sentence).toBe("Acme Analytics signed in to the portal with a one-time link");
  });

  it("say approvals with their outcome and reason", () => {
    const words = describeAuditEntry(entry("approval.decided", { requestId: "apr_1", approve: false, reason: "Call us first", status: "denied" }, null), ctx);
    expect(words).toEqual({ sentence: "Denied a plan change over the billing cap", facts: ["Outcome: Denied", "Reason: Call us first"] });
  });

  it("keep an action this client does not know readable: its code and its details", () => {
    expect(describeAuditEntry(entry("webhook.replayed", { eventId: "evt_1", attempts: 2 }, null), ctx)).toEqual({ sentence: "webhook.replayed", facts: ["eventId: evt_1", "attempts: 2"] });
  });
});

describe("who did it", () => {
  it("names the operator, or says no name was given", () => {
    expect(actorInWords("operator:Dana Reyes")).toEqual({ who: "Dana Reyes", role: "operator" });
    expect(actorInWords("operator")).toEqual({ who: "An operator", role: "console, no name given" });
    expect(actorInWords("operator:cli").who).toBe("The command line");
    expect(actorInWords("customer:ops@acme.example")).toEqual({ who: "The customer", role: "ops@acme.example" });
    expect(actorInWords("provider").who).toBe("The provider's backend");
    expect(actorInWords("system").who).toBe("Headroom");
  });
});
