import { createHmac, timingSafeEqual } from "node:crypto";
import { getAccount } from "../accounts/accounts";
import type { Deps } from "../deps";
import { currentBanner, markDelivered, noticeOf, withAdvice, type NoticeView } from "./notices";

/** The banner as the provider's app and the embed script receive it: the same words as the portal. */
export function bannerOnWire(v: NoticeView | null) {
  if (!v) return null;
  const recommended = "recommended" in v.facts ? (v.facts.recommended ?? null) : null;
  return {
    noticeId: v.id,
    kind: v.kind,
    severity: v.message.severity,
    title: v.message.title,
    happened: v.message.happened,
    next: v.message.next,
    choices: v.message.choices.map((c) => ({ ...c, url: c.kind === "upgrade" ? v.links.upgrade : c.kind === "contact" ? v.links.contact : v.links.usage })),
    usage:
      "window" in v.facts && v.facts.window
        ? { window: v.facts.window, used: v.facts.used, limit: v.facts.limit, resetAt: v.facts.resetAtMs === null ? null : new Date(v.facts.resetAtMs).toISOString() }
        : null,
    /** The switch the banner offers (the Plans page's recommendation) with its estimated monthly cost, or null. */
    recommended:
      recommended && recommended.monthlyCostMinor !== undefined
        ? { planId: recommended.planId, name: recommended.name, monthlyCostMinor: recommended.monthlyCostMinor, usageMinor: recommended.usageMinor ?? 0, currency: recommended.currency ?? "USD" }
        : null,
    createdAt: new Date(v.createdAtMs).toISOString(),
  };
}

/**
 * The account's current banner, offering the switch the Plans page recommends right now (a notice
 * keeps the figures of its time; the advice is today's). Reading it changes nothing: a banner
 * counts as seen only when it is shown (markBannerSeen).
 */
export async function currentBannerFor(deps: Pick<Deps, "db" | "catalog" | "notify" | "meter" | "advisor">, accountId: string): Promise<NoticeView | null> {
  const account = await getAccount(deps.db, deps.catalog, accountId);
  await deps.meter.prepare(accountId);
  const period = deps.meter.limitsFor(accountId).period;
  const view = await currentBanner(deps.notify, { id: account.id, planId: account.plan.id, periodStartMs: period.startMs });
  return view ? withAdvice(deps.notify, view, deps.advisor.switchFor(accountId)) : null;
}

/**
 * The customer saw the notice's banner (the portal or the embed rendered it, or the provider's
 * backend fetched it to show it): a notice that reached the customer no other way counts as
 * delivered from now, which starts its enforcement grace period.
 */
export async function markBannerSeen(deps: Pick<Deps, "db" | "clock" | "feed">, accountId: string, noticeId: string): Promise<"seen" | "seen_before" | "not_found"> {
  const now = deps.clock.now();
  if (await markDelivered(deps.db, accountId, noticeId, now)) {
    // Delivery starts the grace period: the meter re-reads this account's terms.
    deps.feed.publish({ kind: "terms.changed", accountId });
    return "seen";
  }
  return (await noticeOf(deps.db, accountId, noticeId)) ? "seen_before" : "not_found";
}

const BANNER_TOKEN_TTL_MS = 15 * 60_000;

/** A short-lived token for the embeddable banner: the provider's backend gets it, the browser uses it. */
export function bannerToken(secret: string, accountId: string, nowMs: number): { token: string; expiresAtMs: number } {
  const expiresAtMs = nowMs + BANNER_TOKEN_TTL_MS;
  const body = Buffer.from(JSON.stringify({ a: accountId, e: expiresAtMs })).toString("base64url");
  const mac = createHmac("sha256", secret).update(`banner.${body}`).digest("base64url");
  return { token: `${body}.${mac}`, expiresAtMs };
}

export function readBannerToken(secret: string, token: string, nowMs: number): string | null {
  const [body, mac] = token.split(".");
  if (!body || !mac) return null;
  const expected = createHmac("sha256", secret).update(`banner.${body}`).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const { a, e } = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { a: string; e: number };
    return typeof a === "string" && typeof e === "number" && e > nowMs ? a : null;
  } catch {
    return null;
  }
}
