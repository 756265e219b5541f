import { rateWindowsOver } from "../../shared/cap-rules";
import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import { describeRate, type CapNoticeKind, type NoticeFacts } from "../../shared/messages";
import type { BillingInterval, WindowName } from "../../shared/plans";
import type { SwitchAdvice } from "../../shared/recommend";
import type { Store } from "../db/queries/store";
import { usageDays, type MeterColumn } from "../db/queries/usage";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import type { Meter, MeterSpec } from "../metering/meter";
import { dedupeKeyFor, raiseNotice, type NotifyContext, type NoticeView } from "../notify/notices";

export interface DetectorOptions {
  db: Store;
  clock: Clock;
  logger: Logger;
  meter: Meter;
  notify: NotifyContext;
  graceMs: number;
  /** The switch to offer an account (null when its current plan is already the best fit). */
  recommend: (accountId: string) => Promise<SwitchAdvice | null>;
}

/** Days over a cap among the last 7 that make usage "sustained" (Business-scale usage on a Starter plan). */
export const SUSTAINED_DAYS = 3;
const SUSTAINED_RECHECK_MS = 15 * 60_000;

/** "1,000 calls per day" — the meter's unit with several meters ("1,000 MCP tool calls per day"). */
const rateText = (limit: number, window: WindowName, meter: MeterSpec, span?: BillingInterval) => describeRate(limit, window, meter.noun, span);

/** What a notice says about the meter it is about: its id, and its unit when the catalog has several (the words then name it). */
function meterFacts(meter: MeterSpec): { meter: string; unit?: string } {
  return meter.noun ? { meter: meter.id, unit: meter.noun } : { meter: meter.id };
}

/**
 * Runs after each meter flush on the accounts whose counts changed: raises `approaching`,
 * `reached` and `sustained` notices, each once per cap of each meter per billing period.
 */
export class Detector {
  /** Dedupe keys known to exist, so a busy account does not cost a write per flush. */
  private readonly known = new Set<string>();
  private readonly sustainedCheckedAt = new Map<string, number>();
  /** Evaluations under way: the flush that starts one does not wait for it. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly o: DetectorOptions) {}

  evaluate(accountIds: Iterable<string>): Promise<NoticeView[]> {
    const run = this.evaluateAll(accountIds);
    this.running.add(run);
    const done = () => this.running.delete(run);
    run.then(done, done);
    return run;
  }

  /** Resolves once every evaluation started so far has finished (before the database closes, and in tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async evaluateAll(accountIds: Iterable<string>): Promise<NoticeView[]> {
    const raised: NoticeView[] = [];
    for (const id of accountIds) {
      try {
        raised.push(...(await this.evaluateAccount(id)));
      } catch (err) {
        this.o.logger.error({ err, accountId: id }, "detection failed for an account");
      }
    }
    return raised;
  }

  private async evaluateAccount(accountId: string): Promise<NoticeView[]> {
    const now = this.o.clock.now();
    await this.o.meter.prepare(accountId);
    const s = this.o.meter.standing(accountId);
    const out: NoticeView[] = [];
    const approaching = s.plan.thresholds[0] ?? 0.8;
    // Asked once per evaluation, and only when a notice is raised.
    let recommended: Promise<SwitchAdvice | null> | undefined;
    const rec = () => (recommended ??= this.o.recommend(accountId));

    for (const m of s.meters) {
      const meter = m.meter;
      const other = meter.isDefault ? undefined : meter.id;
      const facts = async (kind: CapNoticeKind, window: WindowName | null, limit: number | null, used: number, resetAtMs: number | null, extra: Partial<NoticeFacts> = {}) => {
        const delivered = window ? m.noticeDeliveredAtMs[window] : undefined;
        // A month window that spans the billing year (a yearly quota) is said as such.
        const span = window === "month" ? m.limits.find((l) => l.window === "month")?.span : undefined;
        return {
          kind,
          planId: s.plan.id,
          planName: s.plan.name,
          ...meterFacts(meter),
          window,
          limit,
          used,
          resetAtMs,
          mode: s.mode,
          refusalsFromMs: s.mode === "enforce" ? (delivered ?? now) + this.o.graceMs : null,
          recommended: await rec(),
          fitsRate: window && limit !== null ? rateText(limit, window, meter, span) : null,
          ...(span ? { span } : {}),
          ...extra,
        };
      };

      for (const l of m.limits) {
        if (l.limit === null || l.ratio === null || l.ratio < approaching) continue;
        const kind: CapNoticeKind = l.ratio >= 1 ? "reached" : "approaching";
        const key = dedupeKeyFor(accountId, kind, l.window, s.period.startMs, other);
        if (this.known.has(key)) continue;
        const n = await raiseNotice(this.o.notify, { accountId, kind, window: l.window, periodStartMs: s.period.startMs, meter, facts: await facts(kind, l.window, l.limit, l.used, l.resetAtMs) });
        this.known.add(key);
        if (n) out.push(n);
      }
    }

    const lastCheck = this.sustainedCheckedAt.get(accountId) ?? 0;
    if (now - lastCheck >= SUSTAINED_RECHECK_MS) {
      this.sustainedCheckedAt.set(accountId, now);
      for (const m of s.meters) {
        const meter = m.meter;
        const key = dedupeKeyFor(accountId, "sustained", null, s.period.startMs, meter.isDefault ? undefined : meter.id);
        if (this.known.has(key)) continue;
        const over = await daysOverLastWeek(this.o.db, accountId, now, m.caps, meter.column);
        if (over.days < SUSTAINED_DAYS) continue;
        const window = over.window;
        const limit = m.caps[window] ?? null;
        const n = await raiseNotice(this.o.notify, {
          accountId,
          kind: "sustained",
          window: null,
          periodStartMs: s.period.startMs,
          meter,
          facts: {
            kind: "sustained",
            planId: s.plan.id,
            planName: s.plan.name,
            ...meterFacts(meter),
            window,
            limit,
            used: window === "minute" ? over.peakMinute : over.peakDay,
            resetAtMs: null,
            mode: s.mode,
            refusalsFromMs: s.mode === "enforce" ? (m.noticeDeliveredAtMs[window] ?? now) + this.o.graceMs : null,
            recommended: await rec(),
            fitsRate: limit !== null ? rateText(limit, window, meter) : null,
            daysOver: over.days,
          },
        });
        this.known.add(key);
        if (n) out.push(n);
      }
    }
    return out;
  }

  /**
   * An operator flipped enforcement on: every account that would be refused now (over a cap of a
   * meter today, or on 3 of the last 7 days) is told the date refusals can start, once per meter.
   */
  async scheduleEnforcement(accountIds: Iterable<string>): Promise<NoticeView[]> {
    const now = this.o.clock.now();
    const out: NoticeView[] = [];
    for (const accountId of accountIds) {
      await this.o.meter.prepare(accountId);
      const s = this.o.meter.standing(accountId);
      // Not refused at all (a grandfathered account is in shadow until its date): nothing to announce.
      if (s.mode !== "enforce") continue;
      let recommended: Promise<SwitchAdvice | null> | undefined;
      for (const m of s.meters) {
        const meter = m.meter;
        const overNow = m.limits.find((l) => l.state === "over");
        const week = await daysOverLastWeek(this.o.db, accountId, now, m.caps, meter.column);
        if (!overNow && week.days === 0) continue;
        const window: WindowName = overNow?.window ?? week.window;
        const limit = m.caps[window];
        const n = await raiseNotice(this.o.notify, {
          accountId,
          kind: "enforcement_scheduled",
          window: null,
          periodStartMs: s.period.startMs,
          meter,
          facts: {
            kind: "enforcement_scheduled",
            planId: s.plan.id,
            planName: s.plan.name,
            ...meterFacts(meter),
            window,
            limit: limit ?? null,
            used: overNow?.used ?? (window === "minute" ? week.peakMinute : week.peakDay),
            resetAtMs: overNow?.resetAtMs ?? null,
            mode: "enforce",
            refusalsFromMs: now + this.o.graceMs,
            daysOver: week.days,
            recommended: await (recommended ??= this.o.recommend(accountId)),
            fitsRate: limit !== undefined ? rateText(limit, window, meter) : null,
          },
        });
        if (n) out.push(n);
      }
    }
    return out;
  }
}

/**
 * Days of the last 7 (today included) over a meter's per-minute or daily cap, by the one rule of
 * shared/cap-rules.ts applied to the raw traffic on that meter (whatever plan the account was on
 * that day), and which cap it was most.
 */
export async function daysOverLastWeek(db: Store, accountId: string, nowMs: number, caps: { minute?: number; day?: number }, meter: MeterColumn) {
  const rows = await usageDays(db, accountId, meter, startOfUtcDay(nowMs) - 6 * DAY_MS);
  let minuteDays = 0;
  let dayDays = 0;
  let days = 0;
  let peakMinute = 0;
  let peakDay = 0;
  for (const r of rows) {
    const calls = r.allowed + r.wouldThrottle + r.throttled;
    const over = rateWindowsOver(caps, { calls, peakMinute: r.peakMinute });
    if (over.includes("minute")) minuteDays++;
    if (over.includes("day")) dayDays++;
    if (over.length > 0) days++;
    peakMinute = Math.max(peakMinute, r.peakMinute);
    peakDay = Math.max(peakDay, calls);
  }
  const window: WindowName = minuteDays >= dayDays && caps.minute !== undefined ? "minute" : "day";
  return { days, window, peakMinute, peakDay };
}
