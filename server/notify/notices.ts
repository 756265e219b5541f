import { composeNotice, type AccountNoticeFacts, type CapNoticeKind, type NoticeFacts, type NoticeKind, type NoticeMessage } from "../../shared/messages";
import type { Brand } from "../../shared/brand";
import type { SwitchAdvice } from "../../shared/recommend";
import {
  findNotice,
  insertNoticeOnce,
  markNoticeDelivered,
  markNoticeDismissed,
  noticesOf,
  storedEmailPreference,
  storeEmailPreference,
  undismissedNoticesSince,
  type NoticeRow,
  type OutboxDraft,
} from "../db/queries/notify";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { newId } from "../lib/ids";
import { renderNoticeEmail, type NoticeLinks } from "./render-email";
import { unsubscribeToken } from "./unsubscribe";

/** Kinds the customer cannot turn e-mail off for: enforcement warnings and everything about money. */
export const ALWAYS_EMAILED: ReadonlySet<string> = new Set(["enforcement_scheduled", "plan_changed", "change_scheduled", "approval_requested", "approval_decided", "anomaly", "refund", "terms", "support_reply"]);
/** Notices about caps: the ones with e-mail preferences and banners. */
export const NOTICE_KINDS: CapNoticeKind[] = ["approaching", "reached", "sustained", "enforcement_scheduled"];

type StoredFacts = (NoticeFacts | AccountNoticeFacts) & { planId?: string };

export interface NotifyContext {
  db: Store;
  clock: Clock;
  baseUrl: () => string;
  /** Secret for unsubscribe links and webhook signatures' fallbacks. */
  linkSecret: string;
  webhookUrl: string | null;
  /** True when e-mail leaves through SMTP; otherwise e-mails are stored in the outbox only. */
  smtp: boolean;
  /** The provider's brand the e-mails carry. */
  brand: Brand;
}

export interface NoticeView {
  id: string;
  accountId: string;
  kind: string;
  window: string | null;
  periodStartMs: number;
  createdAtMs: number;
  deliveredAtMs: number | null;
  dismissedAtMs: number | null;
  facts: StoredFacts;
  message: NoticeMessage;
  links: NoticeLinks;
}

/**
 * One notice per account, kind, window and period — and meter: a meter other than the default one
 * has its own keys (`acc:reached:mcp:minute:…`), the default meter's keep the form they had before
 * meters, so a notice raised before is not raised again.
 */
export function dedupeKeyFor(accountId: string, kind: string, window: string | null, periodStartMs: number, otherMeter?: string): string {
  return otherMeter ? `${accountId}:${kind}:${otherMeter}:${window ?? "all"}:${periodStartMs}` : `${accountId}:${kind}:${window ?? "all"}:${periodStartMs}`;
}

export function noticeLinks(ctx: Pick<NotifyContext, "baseUrl" | "linkSecret">, accountId: string, kind: string, facts: StoredFacts): NoticeLinks {
  const base = ctx.baseUrl();
  return {
    upgrade: "recommended" in facts && facts.recommended ? `${base}/plans/change?to=${encodeURIComponent(facts.recommended.planId)}` : null,
    usage: `${base}/usage`,
    contact: `${base}/support`,
    preferences: `${base}/unsubscribe?token=${unsubscribeToken(ctx.linkSecret, accountId, kind)}`,
  };
}

export async function emailEnabled(db: Store, accountId: string, kind: string): Promise<boolean> {
  if (ALWAYS_EMAILED.has(kind)) return true;
  return (await storedEmailPreference(db, accountId, kind)) ?? true;
}

/**
 * Records a notice once per dedupe key and queues its e-mail (if the customer wants it) and its
 * provider webhook, all in one transaction. Returns null when the notice already exists.
 */
export async function raiseNotice(
  ctx: NotifyContext,
  input: {
    accountId: string;
    kind: NoticeKind;
    window: string | null;
    periodStartMs: number;
    facts: StoredFacts & { planId: string };
    dedupeRef?: string;
    /** The meter whose caps it is about, when it is about one (its id; the grace rule reads it). */
    meter?: { id: string; isDefault: boolean };
  },
): Promise<NoticeView | null> {
  const { db, clock } = ctx;
  const now = clock.now();
  const other = input.meter && !input.meter.isDefault ? input.meter.id : undefined;
  const dedupeKey = input.dedupeRef ? `${input.accountId}:${input.kind}:${input.dedupeRef}` : dedupeKeyFor(input.accountId, input.kind, input.window, input.periodStartMs, other);
  const wantsEmail = await emailEnabled(db, input.accountId, input.kind);
  const row: NoticeRow = {
    id: newId("ntc"),
    accountId: input.accountId,
    kind: input.kind,
    window: input.window,
    meter: input.meter?.id ?? "",
    periodStartMs: input.periodStartMs,
    dedupeKey,
    factsJson: JSON.stringify(input.facts),
    createdAtMs: now,
    deliveredAtMs: null,
    dismissedAtMs: null,
  };
  const view = toView(ctx, row);
  const messagesFor = (account: { name: string; email: string }): OutboxDraft[] => {
    const messages: OutboxDraft[] = [];
    if (wantsEmail) {
      const email = renderNoticeEmail(view.message, view.links, account.name, ctx.brand);
      messages.push({
        id: newId("msg"),
        channel: "email",
        dedupeKey: `${dedupeKey}:email`,
        recipient: account.email,
        subject: email.subject,
        payloadJson: JSON.stringify({ text: email.text, html: email.html, headers: email.headers }),
        status: ctx.smtp ? "pending" : "stored",
        nextAttemptAtMs: now,
        createdAtMs: now,
      });
    }
    if (ctx.webhookUrl) {
      messages.push({
        id: newId("msg"),
        channel: "webhook",
        dedupeKey: `${dedupeKey}:webhook`,
        recipient: ctx.webhookUrl,
        payloadJson: JSON.stringify(webhookPayload(view)),
        status: "pending",
        nextAttemptAtMs: now,
        createdAtMs: now,
      });
    }
    return messages;
  };
  return (await insertNoticeOnce(db, row, messagesFor)) ? view : null;
}

/** What the provider's webhook receives: the notice, its figures and the same words as the banner. */
export function webhookPayload(v: NoticeView) {
  return {
    type: "notice.created",
    notice: {
      id: v.id,
      accountId: v.accountId,
      kind: v.kind,
      window: v.window,
      createdAt: new Date(v.createdAtMs).toISOString(),
      facts: v.facts,
      message: v.message,
      links: v.links,
    },
  };
}

export function toView(ctx: Pick<NotifyContext, "baseUrl" | "linkSecret">, row: NoticeRow): NoticeView {
  const facts = JSON.parse(row.factsJson) as StoredFacts;
  return {
    id: row.id,
    accountId: row.accountId,
    kind: row.kind,
    window: row.window,
    periodStartMs: row.periodStartMs,
    createdAtMs: row.createdAtMs,
    deliveredAtMs: row.deliveredAtMs,
    dismissedAtMs: row.dismissedAtMs,
    facts,
    message: composeNotice(facts),
    links: noticeLinks(ctx, row.accountId, row.kind, facts),
  };
}

export async function listNotices(ctx: Pick<NotifyContext, "db" | "baseUrl" | "linkSecret">, accountId: string, limit = 100): Promise<NoticeView[]> {
  return (await noticesOf(ctx.db, accountId, limit)).map((r) => toView(ctx, r));
}

const SEVERITY_RANK = { critical: 3, warning: 2, info: 1 } as const;

/** The notice to show as a banner: undismissed, this period, about the current plan; most severe, then newest. */
export async function currentBanner(ctx: Pick<NotifyContext, "db" | "baseUrl" | "linkSecret">, account: { id: string; planId: string; periodStartMs: number }): Promise<NoticeView | null> {
  const rows = await undismissedNoticesSince(ctx.db, account.id, account.periodStartMs, 20);
  const views = rows.map((r) => toView(ctx, r)).filter((v) => (NOTICE_KINDS as readonly string[]).includes(v.kind) && (v.facts.planId ?? account.planId) === account.planId);
  views.sort((a, b) => SEVERITY_RANK[b.message.severity] - SEVERITY_RANK[a.message.severity] || b.createdAtMs - a.createdAtMs);
  return views[0] ?? null;
}

/** The customer saw the notice (banner shown): it counts as delivered from now if nothing reached them before. */
export function markDelivered(db: Store, accountId: string, noticeId: string, atMs: number): Promise<boolean> {
  return markNoticeDelivered(db, accountId, noticeId, atMs);
}

/** The account's own notice with this id (another account's is not found). */
export function noticeOf(db: Store, accountId: string, noticeId: string): Promise<{ id: string; deliveredAtMs: number | null } | undefined> {
  return findNotice(db, accountId, noticeId);
}

/** A cap notice as it reads today: its own figures, offering the switch recommended now. */
export function withAdvice(ctx: Pick<NotifyContext, "baseUrl" | "linkSecret">, v: NoticeView, advice: SwitchAdvice | null): NoticeView {
  if (!("window" in v.facts)) return v;
  const facts = { ...v.facts, recommended: advice };
  return { ...v, facts, message: composeNotice(facts), links: noticeLinks(ctx, v.accountId, v.kind, facts) };
}

export function dismissNotice(db: Store, accountId: string, noticeId: string, atMs: number): Promise<boolean> {
  return markNoticeDismissed(db, accountId, noticeId, atMs);
}

export async function setEmailPreference(db: Store, accountId: string, kind: string, email: boolean): Promise<void> {
  if (ALWAYS_EMAILED.has(kind)) return;
  await storeEmailPreference(db, accountId, kind, email);
}

export async function emailPreferences(db: Store, accountId: string): Promise<Array<{ kind: string; email: boolean; locked: boolean }>> {
  const out: Array<{ kind: string; email: boolean; locked: boolean }> = [];
  for (const kind of NOTICE_KINDS) out.push({ kind, email: await emailEnabled(db, accountId, kind), locked: ALWAYS_EMAILED.has(kind) });
  return out;
}
