import type { Catalog } from "../../shared/catalog";
import { termsLine } from "../../shared/plan-terms";
import type { BillingInterval, Plan, PlanId } from "../../shared/plans";
import { estimateMonthlyCalls, judgePlan, peaksFromDays, projectMonth, recommendPlan, switchAdviceOf, type MeterUsage, type PlanUsage, type PlanVerdict, type Recommendation, type SwitchAdvice, type UsagePeaks } from "../../shared/recommend";
import { adviceTerms, adviceTermsNow, type AdviceTermsRow } from "../db/queries/plans";
import { isPg, sqliteOf } from "../db/queries/dispatch";
import type { Store } from "../db/queries/store";
import { callsServed, callsServedNow, firstUsageDay, firstUsageDayNow, meterColumnOf, usageDays, usageDaysNow, type MeterColumn, type UsageDayRow } from "../db/queries/usage";
import type { Clock } from "../lib/clock";
import { billingPeriodAt, monthWindowStart, startOfUtcDay } from "../../shared/limits";
import { quotaWindow } from "../../shared/billing-interval";
import { dailyPoints, historyStartMs, HISTORY_DAYS, toDailyUsage } from "../metering/usage-history";

export interface PlanComparisonView {
  plans: readonly Plan[];
  currentPlanId: PlanId;
  /** The interval the account is billed in: costs are monthly equivalents of its prices in that interval. */
  interval: BillingInterval;
  /** The last 30 UTC days (today included): busiest minute, busiest day, and `month` = the estimated calls per month. */
  peaks: UsagePeaks;
  windowDays: number;
  /** Calls made in the window (the estimate scales this up for an account younger than the window). */
  callsInWindow: number;
  /** The current plan's month window at this rate (its calls so far plus the rest of it at this rate). */
  currentPlanMonth: number;
  /**
   * Every meter of the catalog, the default first (only when it has several): the same figures as
   * `peaks`, `callsInWindow` and `currentPlanMonth` (which are the default meter's), with its unit.
   */
  meters?: Array<{ id: string; unit: string; peaks: UsagePeaks; callsInWindow: number; currentPlanMonth: number }>;
  verdicts: PlanVerdict[];
  /** null when no plan fits, or when there were no calls in the window to fit. */
  recommendation: Recommendation | null;
  /** The switch to offer: the recommendation when it is not the current plan; null otherwise. */
  switchTo: SwitchAdvice | null;
  /** What the current plan costs a month at this rate (base + usage), minor units. */
  currentCostMinor: number;
  /** Unix ms the comparison was computed at. */
  atMs: number;
  /** The account is on an older version of its plan: its terms and the plan's current ones, in words (null: on the current version). */
  newerTerms: { version: number; currentVersion: number; kept: string; current: string } | null;
}

/**
 * What a comparison reads of one meter besides the account's terms: the last 30 days of rollups,
 * the first day with any usage, and the month window's calls as the rollups hold them (at most one
 * flush behind the meter, and the same source as the rest of the advice, so every surface reads one answer).
 */
interface AdviceUsage {
  days: UsageDayRow[];
  firstDayMs: number | null;
  monthUsed: number;
}

/** The windows a comparison reads, from the account's terms: the month window is the plan's quota window on the account's interval. */
function usageWindows(catalog: Catalog, terms: AdviceTermsRow, nowMs: number) {
  const period = billingPeriodAt(terms.billingAnchorMs, nowMs, quotaWindow(catalog.planOf(terms), terms.billingInterval));
  return { fromDayMs: historyStartMs(nowMs), toDayMs: startOfUtcDay(nowMs), monthFromMs: monthWindowStart(period, terms.planStartedAtMs), monthEndMs: period.endMs };
}

const TTL_MS = 60_000;

/** What an answer depends on besides traffic: another process changing any of it makes the answer stale. */
const termsKey = (t: AdviceTermsRow) => JSON.stringify([t.planId, t.planVersion, t.billingAnchorMs, t.billingInterval, t.planStartedAtMs, t.overageOptIn, t.grandfatheredUntilMs]);

interface Cached {
  view: PlanComparisonView;
  terms: string;
  /** The round of changes made elsewhere it was last checked against. */
  round: number;
}

/**
 * The one answer to "which plan fits this account, at what cost": the Plans page, the wizard, the
 * banner, e-mails and webhooks, the 429's upgrade link and the console all ask here. Answers are
 * kept a minute per account (the meter asks on every over-cap call; a comparison reads a month of
 * rollups) and dropped when the account's plan or terms change — here, or in another process (an
 * answer kept across a commit made elsewhere is checked against the account's terms before use).
 */
export class PlanAdvisor {
  private readonly cache = new Map<string, Cached>();
  /** The traffic each answer judged, for judging a plan it does not list (verdictOn). */
  private readonly usageOf = new WeakMap<PlanComparisonView, PlanUsage>();
  private round = 0;
  /** Answers dropped so far: one computed across a drop is returned, not kept. */
  private drops = 0;

  constructor(
    private readonly db: Store,
    private readonly clock: Clock,
    private readonly catalog: Catalog,
  ) {}

  /** The public plans against the account's traffic, the recommendation and the switch to offer; null for an unknown account. */
  async compare(accountId: string): Promise<PlanComparisonView | null> {
    const now = this.clock.now();
    const round = this.round;
    const drops = this.drops;
    const hit = this.kept(accountId, now);
    if (hit?.round === round) return hit.view;
    const terms = await adviceTerms(this.db, accountId);
    if (hit && this.confirm(hit, terms, round)) return hit.view;
    if (!terms) return null;
    const w = usageWindows(this.catalog, terms, now);
    const usage: AdviceUsage[] = [];
    for (const meter of this.columns) {
      usage.push({
        days: await usageDays(this.db, accountId, meter, w.fromDayMs, w.toDayMs),
        firstDayMs: await firstUsageDay(this.db, accountId, meter),
        monthUsed: await callsServed(this.db, accountId, meter, w.monthFromMs, now + 1),
      });
    }
    return this.keep(terms, usage, now, round, drops);
  }

  /**
   * How the account's traffic fares on one plan, at the version given: the Plans page's verdict for a
   * plan it lists, and the same judgement on the same traffic for one it does not (the current terms
   * of a plan the account keeps an older version of, a plan no longer offered). What a quote projects.
   */
  async verdictOn(accountId: string, plan: Plan): Promise<PlanVerdict | null> {
    const view = await this.compare(accountId);
    if (!view) return null;
    if (view.plans.some((p) => p.id === plan.id && p.version === plan.version)) return view.verdicts.find((v) => v.planId === plan.id) ?? null;
    const usage = this.usageOf.get(view);
    return usage ? judgePlan(plan, usage, { current: plan.id === view.currentPlanId, interval: view.interval }) : null;
  }

  /**
   * The plan to offer the account as a switch (null when its plan is already the best fit), for the
   * upgrade link of the meter's answers. Synchronous because Meter.check is: it asks on every
   * over-cap call, and a kept answer costs nothing; a missing one reads the rollups through the
   * synchronous statements of the queries layer, as the meter's own cache misses do. The same steps
   * as compare(), which everything off that path uses.
   */
  switchFor(accountId: string): SwitchAdvice | null {
    const now = this.clock.now();
    const hit = this.kept(accountId, now);
    if (hit?.round === this.round) return hit.view.switchTo;
    // On PostgreSQL nothing can be read here: the meter reads the advice before it decides a call (prepare).
    if (isPg(this.db)) return hit?.view.switchTo ?? null;
    const db = sqliteOf(this.db, "The advice for an over-cap answer");
    const terms = adviceTermsNow(db, accountId);
    if (hit && this.confirm(hit, terms, this.round)) return hit.view.switchTo;
    if (!terms) return null;
    const w = usageWindows(this.catalog, terms, now);
    const usage: AdviceUsage[] = this.columns.map((meter) => ({
      days: usageDaysNow(db, accountId, meter, w.fromDayMs, w.toDayMs),
      firstDayMs: firstUsageDayNow(db, accountId, meter),
      monthUsed: callsServedNow(db, accountId, meter, w.monthFromMs, now + 1),
    }));
    return this.keep(terms, usage, now, this.round, this.drops).switchTo;
  }

  /** Makes switchFor's answer for the account ready (on PostgreSQL the meter awaits this before a call). */
  async prepare(accountId: string): Promise<void> {
    await this.compare(accountId);
  }

  /** Another process committed something: each kept answer is checked against its account's terms before it is used again. */
  changedElsewhere(): void {
    this.round++;
  }

  invalidate(accountId: string): void {
    this.cache.delete(accountId);
    this.drops++;
  }

  /** The answer kept for the account, if it is less than a minute old. */
  private kept(accountId: string, now: number): Cached | undefined {
    const hit = this.cache.get(accountId);
    return hit && now - hit.view.atMs < TTL_MS && now >= hit.view.atMs ? hit : undefined;
  }

  /** A kept answer from before a commit elsewhere still holds if the account's terms are those it was computed for. */
  private confirm(hit: Cached, terms: AdviceTermsRow | undefined, round: number): boolean {
    if (!terms || termsKey(terms) !== hit.terms) return false;
    hit.round = round;
    return true;
  }

  /**
   * Computes the answer and keeps it with the round its reads began in; an answer read while one was
   * dropped (a plan change here) is returned but not kept, so it cannot outlive the change.
   */
  private keep(terms: AdviceTermsRow, usage: AdviceUsage[], now: number, round: number, drops: number): PlanComparisonView {
    const view = this.computeFor(terms, usage, now);
    if (drops === this.drops) this.cache.set(terms.id, { view, terms: termsKey(terms), round });
    return view;
  }

  /** One meter's traffic as the recommendation judges it. */
  private meterUsage(plan: Plan, terms: AdviceTermsRow, usage: AdviceUsage, now: number): MeterUsage & { callsInWindow: number; currentPlanMonth: number } {
    const days = toDailyUsage(dailyPoints(usage.days, now, HISTORY_DAYS));
    const callsInWindow = days.reduce((s, d) => s + d.calls, 0);
    const monthlyCalls = estimateMonthlyCalls({ days, nowMs: now, accountCreatedAtMs: Math.min(terms.createdAtMs, usage.firstDayMs ?? Infinity) });
    const projected = projectMonth({ usedSoFar: usage.monthUsed, nowMs: now, windowEndMs: usageWindows(this.catalog, terms, now).monthEndMs, monthlyCalls });
    // A yearly quota counts over the year: its projection is a year's calls, judged as a month's (a twelfth) like every other plan.
    const currentPlanMonth = quotaWindow(plan, terms.billingInterval) === "year" ? Math.round(projected / 12) : projected;
    return { peaks: peaksFromDays(days, monthlyCalls), days, currentPlanMonth, callsInWindow };
  }

  /** The rollups' meter columns of the catalog's meters, the default first. */
  private get columns(): MeterColumn[] {
    return this.catalog.meters.map((m) => meterColumnOf(this.catalog, m.id));
  }

  private computeFor(terms: AdviceTermsRow, usage: AdviceUsage[], now: number): PlanComparisonView {
    const plan = this.catalog.planOf(terms);
    const latest = this.catalog.plan(plan.id);
    const [main, ...rest] = usage.map((u) => this.meterUsage(plan, terms, u, now));
    const { peaks, days, currentPlanMonth, callsInWindow } = main!;
    const planUsage: PlanUsage = { peaks, days, currentPlanMonth };
    let meters: PlanComparisonView["meters"];
    if (rest.length > 0) {
      const first = this.catalog.defaultMeter;
      planUsage.others = {};
      meters = [{ id: first.id, unit: first.unit, peaks, callsInWindow, currentPlanMonth }];
      rest.forEach((u, i) => {
        const m = this.catalog.meters[i + 1]!;
        planUsage.others![m.id] = { unit: m.unit, peaks: u.peaks, days: u.days, currentPlanMonth: u.currentPlanMonth };
        meters!.push({ id: m.id, unit: m.unit, peaks: u.peaks, callsInWindow: u.callsInWindow, currentPlanMonth: u.currentPlanMonth });
      });
    }
    // The account's own plan at the version it is on: what it pays and gets today.
    const plans = this.catalog.publicPlans.map((p) => (p.id === plan.id ? plan : p));
    // Ranked at monthly equivalents in the account's own interval: a yearly customer compares yearly prices.
    const { verdicts, recommendation } = recommendPlan(planUsage, plans, { currentPlanId: plan.id, interval: terms.billingInterval });
    // Without a single call on any meter there is nothing to fit: "switch to Free" would only be noise for a new customer.
    const rec = callsInWindow + rest.reduce((s, u) => s + u.callsInWindow, 0) > 0 ? recommendation : null;
    const recPlan = rec ? (this.catalog.find(rec.planId) ?? null) : null;
    const current = verdicts.find((v) => v.planId === plan.id);
    const view: PlanComparisonView = {
      plans,
      currentPlanId: plan.id,
      interval: terms.billingInterval,
      peaks,
      windowDays: HISTORY_DAYS,
      callsInWindow,
      currentPlanMonth,
      ...(meters ? { meters } : {}),
      verdicts,
      recommendation: rec,
      switchTo: rec && recPlan && rec.planId !== plan.id ? switchAdviceOf(recPlan, rec, terms.billingInterval) : null,
      currentCostMinor: current?.monthlyCostMinor ?? plan.priceMinor,
      atMs: now,
      newerTerms: latest.version === plan.version ? null : { version: plan.version, currentVersion: latest.version, kept: termsLine(plan, this.catalog), current: termsLine(latest, this.catalog) },
    };
    this.usageOf.set(view, planUsage);
    return view;
  }
}
