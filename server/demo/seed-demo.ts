import { DAY_MS, MINUTE_MS, startOfMinute, startOfUtcDay } from "../../shared/limits";
import type { Catalog } from "../../shared/catalog";
import { CatalogError } from "../../shared/catalog-file";
import { seededRandom } from "../../shared/experiment/stats";
import type { Caps, PlanId } from "../../shared/plans";
import { planModes } from "../db/queries/accounts";
import { insertDemo, type DemoDay, type DemoSeed } from "../db/queries/demo";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { currentPeriod, getAccount, newAccountRow, toAccount, type Account } from "../accounts/accounts";
import { newKey } from "../keys/keys";
import { seedDemoExperiment } from "./seed-experiment";
import { describeRate } from "../../shared/messages";
import { markDelivered, raiseNotice, type NotifyContext } from "../notify/notices";
import { DEFAULT_BRAND } from "../../shared/brand";
import { PlanAdvisor } from "../plans/plan-advisor";

/** A run of calls at a steady rate (a batch job), in calls per minute from a UTC minute of the day. */
interface Run {
  /** Minute of the UTC day the run starts. */
  atMinute: number;
  total: number;
  rate: number;
}

/**
 * How a demo account calls the API, in calls per minute: interactive traffic that follows the working
 * day, quieter at weekends and growing over the month, plus batch jobs at a steady rate.
 */
interface TrafficShape {
  /** Mean calls per minute during the account's working hours, today (earlier days: see `growth`). */
  baseRate: number;
  /** UTC hours during which the base traffic runs, [from, to); it rises to midday of them and falls again. */
  hours: [number, number];
  /** A daily batch job of `total` calls at `rate` calls/min starting at `atHour` UTC (weekdays only with a `weekend` factor). */
  burst?: { atHour: number; total: number; rate: number };
  /**
   * A nightly batch at a steady `rate`, the account's only traffic, whose size follows its own customers:
   * `latest` calls on the last night it ran (the busiest: the account has been growing), less on earlier
   * nights, and one night it failed part-way and ran again later that day.
   */
  nightly?: { atHour: number; rate: number; latest: number; rerun: { nightsBefore: number; firstShare: number; atHour: number } };
  /** Share of days with traffic (weekends off when below 1). */
  activeDays?: number;
  /** Saturday and Sunday traffic as a share of a weekday's (1 when absent). */
  weekend?: number;
  /** How much lower the traffic was at the start of the history than today (0.3: 30% lower), linearly. */
  growth?: number;
  /** One-off bursts: `daysAgo` days before today, `total` calls at `rate` calls/min from `atHour` UTC. */
  spikes?: Array<{ daysAgo: number; atHour: number; total: number; rate: number }>;
}

interface DemoAccount {
  id: string;
  name: string;
  email: string;
  planId: PlanId;
  /** Days since the billing anchor (start of the first period). */
  anchorDaysAgo: number;
  traffic: TrafficShape;
  keys: string[];
}

/** The demo account on an enforced plan that went past its monthly cap and its grace period: its key reproduces a 429. */
export const DEMO_ENFORCED_ACCOUNT_ID = "acc_demo_fjord";

/**
 * Ten accounts across every plan. Three Starter accounts run over their caps (Acme's nightly batch
 * at 268 calls/min, 4,016 calls on its busiest night: Business-scale usage on a Starter plan), one
 * Free account is near its monthly cap and one past it (refused since its grace period ended), one
 * Enterprise account has a large metered bill.
 */
export const DEMO_ACCOUNTS: DemoAccount[] = [
  { id: "acc_demo_acme", name: "Acme Analytics", email: "ops@acme-analytics.example", planId: "starter", anchorDaysAgo: 130, keys: ["Production", "Nightly batch"],
    traffic: { baseRate: 0, hours: [0, 0], weekend: 0.55, growth: 0.35, nightly: { atHour: 2, rate: 268, latest: 4_016, rerun: { nightsBefore: 12, firstShare: 0.4, atHour: 9 } } } },
  { id: "acc_demo_brightline", name: "Brightline Labs", email: "dev@brightline.example", planId: "starter", anchorDaysAgo: 75, keys: ["Production"],
    traffic: { baseRate: 1.6, hours: [8, 20], burst: { atHour: 13, total: 1_120, rate: 140 }, weekend: 0.4, growth: 0.25 } },
  { id: "acc_demo_copperleaf", name: "Copperleaf Retail", email: "it@copperleaf.example", planId: "starter", anchorDaysAgo: 210, keys: ["Storefront"],
    traffic: { baseRate: 2.2, hours: [7, 19], burst: { atHour: 18, total: 475, rate: 95 }, weekend: 0.7, growth: 0.2, spikes: [{ daysAgo: 9, atHour: 19, total: 2_400, rate: 120 }] } },
  { id: "acc_demo_dovetail", name: "Dovetail Studio", email: "hello@dovetail.example", planId: "starter", anchorDaysAgo: 48, keys: ["Website"],
    traffic: { baseRate: 0.7, hours: [9, 21], activeDays: 0.75, weekend: 0.5, growth: 0.3 } },
  { id: "acc_demo_evergreen", name: "Evergreen Health", email: "team@evergreen.example", planId: "free", anchorDaysAgo: 20, keys: ["Prototype"],
    traffic: { baseRate: 0.055, hours: [8, 22] } },
  // A new app that took off at once: past its monthly cap within a week, refused since its grace period ended.
  { id: "acc_demo_fjord", name: "Fjord Mobile", email: "founders@fjord.example", planId: "free", anchorDaysAgo: 12, keys: ["App"],
    traffic: { baseRate: 0.3, hours: [11, 23], weekend: 1.4, growth: 0.5 } },
  { id: "acc_demo_granite", name: "Granite Systems", email: "platform@granite.example", planId: "pro", anchorDaysAgo: 95, keys: ["Backend", "Staging"],
    traffic: { baseRate: 0.15, hours: [6, 22], burst: { atHour: 4, total: 150, rate: 150 } } },
  { id: "acc_demo_harbor", name: "Harbor Logistics", email: "api@harbor.example", planId: "business", anchorDaysAgo: 300, keys: ["Tracking"],
    traffic: { baseRate: 3.2, hours: [5, 23], burst: { atHour: 6, total: 1_100, rate: 110 }, weekend: 0.6, growth: 0.15 } },
  { id: "acc_demo_juniper", name: "Juniper Apps", email: "eng@juniper.example", planId: "business", anchorDaysAgo: 160, keys: ["Production"],
    traffic: { baseRate: 2.5, hours: [0, 24], weekend: 0.8, growth: 0.1 } },
  { id: "acc_demo_ionic", name: "Ionic Data", email: "billing@ionic.example", planId: "enterprise", anchorDaysAgo: 400, keys: ["Ingest", "Query"],
    traffic: { baseRate: 420, hours: [0, 24] } },
];

export const DEMO_HISTORY_DAYS = 35;

/** The grace period the demo's enforced account was given when no other is configured (ENFORCEMENT_GRACE_HOURS' default). */
const DEFAULT_GRACE_MS = 72 * 3_600_000;

/** A deterministic PRNG, so every seed of the demo tells the same story. */
const prng = seededRandom;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A number in [0, 1) fixed by the account and the day, whatever else was drawn before it. */
const dayDraw = (id: string, dayMs: number, salt: string) => hash(`${id}:${Math.floor(dayMs / DAY_MS)}:${salt}`) / 4294967296;

const isWeekend = (dayMs: number) => {
  const weekday = new Date(dayMs).getUTCDay();
  return weekday === 0 || weekday === 6;
};

/** Minutes a run of `total` calls at `rate` per minute lasts. */
const runMinutes = (total: number, rate: number) => Math.ceil(total / rate);

/** The day's traffic level against today's: lower further back (growth), lower at weekends. */
function dayFactor(shape: TrafficShape, dayMs: number, today: number): number {
  const daysAgo = (today - dayMs) / DAY_MS;
  const grown = 1 - (shape.growth ?? 0) * Math.min(1, daysAgo / DEMO_HISTORY_DAYS);
  return grown * (isWeekend(dayMs) ? (shape.weekend ?? 1) : 1);
}

/**
 * The nightly batch's runs on a day. The last night it ran in full by `lastMinute` is the busiest
 * (`latest`); earlier nights are smaller by growth, weekends and a little noise, so the figures the
 * tour quotes (268 calls/min, 4,016 on the busiest day) hold whenever the demo is seeded. A night in
 * progress at the seed is that same size, cut at `lastMinute`.
 */
function nightlyRuns(demo: DemoAccount, dayMs: number, window: { today: number; lastMinute: number }): Run[] {
  const n = demo.traffic.nightly!;
  const atMinute = n.atHour * 60;
  const finishedToday = window.lastMinute >= window.today + (atMinute + runMinutes(n.latest, n.rate)) * MINUTE_MS;
  const latestNight = finishedToday ? window.today : window.today - DAY_MS;
  if (dayMs >= latestNight) return [{ atMinute, total: n.latest, rate: n.rate }];
  const nightsBefore = Math.round((latestNight - dayMs) / DAY_MS);
  const grown = 1 - (demo.traffic.growth ?? 0) * Math.min(1, nightsBefore / DEMO_HISTORY_DAYS);
  const weekend = isWeekend(dayMs) ? (demo.traffic.weekend ?? 1) : 1;
  // Below 0.99 of the latest night however the draw falls: that night stays the busiest.
  const size = Math.round(n.latest * Math.min(0.99, grown * weekend * (0.9 + 0.09 * dayDraw(demo.id, dayMs, "night"))));
  if (nightsBefore !== n.rerun.nightsBefore) return [{ atMinute, total: size, rate: n.rate }];
  // The failed night: part of the batch at 02:00, all of it again later, the day still below the busiest.
  const again = Math.min(size, Math.round(n.latest * 0.98) - Math.round(size * n.rerun.firstShare));
  return [
    { atMinute, total: Math.round(size * n.rerun.firstShare), rate: n.rate },
    { atMinute: n.rerun.atHour * 60, total: again, rate: n.rate },
  ];
}

/** The batch runs of a day: the daily burst (weekdays only when weekends are quieter), one-off spikes, the nightly batch. */
function runsOf(demo: DemoAccount, dayMs: number, window: { today: number; lastMinute: number }): Run[] {
  const t = demo.traffic;
  const runs: Run[] = t.nightly ? nightlyRuns(demo, dayMs, window) : [];
  if (t.burst && !(t.weekend !== undefined && t.weekend < 1 && isWeekend(dayMs))) runs.push({ atMinute: t.burst.atHour * 60, total: t.burst.total, rate: t.burst.rate });
  for (const s of t.spikes ?? []) if (dayMs === window.today - s.daysAgo * DAY_MS) runs.push({ atMinute: s.atHour * 60, total: s.total, rate: s.rate });
  return runs;
}

/** The working day's curve: half flat, half a sine over the hours, so its mean over the hours is 1. */
function diurnal(shape: TrafficShape, minuteOfDay: number): number {
  const [from, to] = shape.hours;
  const x = (minuteOfDay / 60 - from) / (to - from);
  return 0.5 + (Math.PI / 4) * Math.sin(Math.PI * x);
}

/** Calls in one minute: the interactive rate (a Poisson-ish draw around it) plus the batch runs at their steady rate. */
function callsInMinute(shape: TrafficShape, minuteOfDay: number, factor: number, runs: Run[], rand: () => number): number {
  const hour = Math.floor(minuteOfDay / 60);
  let rate = 0;
  if (hour >= shape.hours[0] && hour < shape.hours[1]) {
    // Shapes without weekends or growth keep their flat rate (and their draws), as before.
    rate = shape.weekend === undefined && shape.growth === undefined ? shape.baseRate : shape.baseRate * factor * diurnal(shape, minuteOfDay);
  }
  let batch = 0;
  for (const r of runs) {
    const into = minuteOfDay - r.atMinute;
    if (into >= 0 && into * r.rate < r.total) batch += Math.min(r.rate, r.total - into * r.rate);
  }
  if (rate === 0) return batch;
  if (rate < 1) return batch + (rand() < rate ? 1 : 0);
  // Batches are steady; interactive traffic varies ±15%.
  const interactive = Math.max(0, Math.round(rate * (batch > 0 ? 1 : 0.85 + rand() * 0.3)));
  return batch + interactive;
}

/** A notice the history says the account was sent and read: about `window`, when its count reached `used`. */
export interface DemoNotice {
  accountId: string;
  kind: "approaching" | "reached";
  window: "month";
  atMs: number;
  used: number;
  limit: number;
  period: { startMs: number; endMs: number };
}

export interface SeedResult {
  accounts: Account[];
  minuteRows: number;
  /** A full API key of the first demo account, so the demo can be driven with curl. */
  demoKey: { accountId: string; key: string };
  /** A full API key of the account past its grace period in enforce mode: its calls are refused (429). */
  enforcedKey: { accountId: string; key: string };
}

/**
 * One demo account's history, day by day from the start of the window (or the account's first day)
 * to the minute before `lastMinute`; days without a call are left out. On an enforced plan, the
 * month cap is told about as the count crosses it (`notices`), and calls over it are refused once
 * the grace period after that notice has passed.
 */
function* demoDays(
  catalog: Catalog,
  demo: DemoAccount,
  anchor: number,
  keyIds: string[],
  window: { firstMinute: number; today: number; lastMinute: number; graceMs: number },
  notices: DemoNotice[],
): Generator<DemoDay> {
  const plan = catalog.plan(demo.planId);
  const caps: Caps = plan.caps;
  const enforced = plan.enforcement === "enforce";
  const approachingAt = plan.thresholds[0] ?? 0.8;
  const rand = prng(hash(demo.id));
  const account = { billingAnchorMs: anchor };
  let period = currentPeriod(account, window.firstMinute);
  let monthServed = 0;
  let refusingFrom = Infinity;
  // No traffic before the account existed.
  for (let day = Math.max(window.firstMinute, anchor); day <= window.today; day += DAY_MS) {
    const dayPeriod = currentPeriod(account, day);
    if (dayPeriod.startMs !== period.startMs) {
      period = dayPeriod;
      monthServed = 0;
      refusingFrom = Infinity;
    }
    const dayIndex = Math.floor(day / DAY_MS);
    const active = demo.traffic.activeDays === undefined || hash(`${demo.id}:${dayIndex}`) / 4294967296 < demo.traffic.activeDays;
    const factor = dayFactor(demo.traffic, day, window.today);
    const runs = runsOf(demo, day, window);
    const minutes: DemoDay["minutes"] = [];
    let dayAllowed = 0;
    let dayOver = 0;
    let dayThrottled = 0;
    let peak = 0;
    for (let m = 0; m < 1440 && active; m++) {
      const minuteMs = day + m * MINUTE_MS;
      if (minuteMs >= window.lastMinute) break;
      const n = callsInMinute(demo.traffic, m, factor, runs, rand);
      if (n === 0) continue;
      // Shadow mode serves every call; those beyond a cap are counted as would_throttle. In enforce
      // mode, after the grace period, they are refused (throttled) and count toward nothing.
      const room = Math.min(
        caps.minute ?? Infinity,
        caps.day === undefined ? Infinity : Math.max(0, caps.day - dayAllowed - dayOver),
        caps.month === undefined ? Infinity : Math.max(0, caps.month - monthServed),
      );
      const allowed = Math.min(n, room);
      const refused = minuteMs >= refusingFrom ? n - allowed : 0;
      const over = n - allowed - refused;
      // Spread the minute over the account's keys, the first key taking the larger share.
      const split = keyIds.length > 1 ? Math.ceil(n * 0.7) : n;
      let allowedLeft = allowed;
      let overLeft = over;
      let refusedLeft = refused;
      keyIds.forEach((keyId, i) => {
        const share = i === keyIds.length - 1 ? allowedLeft + overLeft + refusedLeft : i === 0 ? split : Math.floor((n - split) / (keyIds.length - 1));
        if (share <= 0) return;
        const a = Math.min(share, allowedLeft);
        const o = Math.min(share - a, overLeft);
        const t = share - a - o;
        allowedLeft -= a;
        overLeft -= o;
        refusedLeft -= t;
        minutes.push({ minuteMs, keyId, allowed: a, wouldThrottle: o, throttled: t });
      });
      const before = monthServed;
      dayAllowed += allowed;
      dayOver += over;
      dayThrottled += refused;
      monthServed += allowed + over;
      peak = Math.max(peak, n);
      if (enforced && caps.month !== undefined) {
        // The notices the detector raises as the month's count crosses each threshold, read at once.
        const crossed = (share: number) => before < caps.month! * share && monthServed >= caps.month! * share;
        if (crossed(approachingAt) && approachingAt < 1) notices.push({ accountId: demo.id, kind: "approaching", window: "month", atMs: minuteMs + MINUTE_MS, used: monthServed, limit: caps.month, period });
        if (crossed(1)) {
          notices.push({ accountId: demo.id, kind: "reached", window: "month", atMs: minuteMs + MINUTE_MS, used: monthServed, limit: caps.month, period });
          refusingFrom = minuteMs + MINUTE_MS + window.graceMs;
        }
      }
    }
    if (dayAllowed + dayOver + dayThrottled > 0) yield { dayMs: day, allowed: dayAllowed, wouldThrottle: dayOver, throttled: dayThrottled, peakMinute: peak, minutes };
  }
}

/** The demo's plans this catalog lacks (none: the demo can be seeded). */
export function demoPlansMissing(catalog: Catalog): string[] {
  return [...new Set(DEMO_ACCOUNTS.map((d) => d.planId))].filter((id) => !catalog.has(id));
}

export interface SeedOptions {
  /** Where the seeded notices' links point, the secret their unsubscribe links are signed with (the server's), and the provider's brand their e-mails carry. */
  links?: Pick<NotifyContext, "baseUrl" | "linkSecret"> & Partial<Pick<NotifyContext, "brand">>;
  /** ENFORCEMENT_GRACE_HOURS in ms: the enforced account's refusals start this long after its notice (72 h by default). */
  graceMs?: number;
}

/** Seeds the demo into an empty database; refuses (returns null) if any account exists. */
export async function seedDemo(db: Store, catalog: Catalog, clock: Clock, opts: SeedOptions = {}): Promise<SeedResult | null> {
  // The demo's accounts are on the demo catalog's plans.
  const missing = demoPlansMissing(catalog);
  if (missing.length > 0) {
    throw new CatalogError(`The demo accounts are on plans this catalog does not have (${missing.join(", ")}): start with HEADROOM_DEMO=false, or without CATALOG_PATH for the demo catalog.`);
  }
  const now = clock.now();
  const today = startOfUtcDay(now);
  const window = { firstMinute: today - DEMO_HISTORY_DAYS * DAY_MS, today, lastMinute: startOfMinute(now), graceMs: opts.graceMs ?? DEFAULT_GRACE_MS };

  const keysOf = new Map<string, string>();
  const notices: DemoNotice[] = [];
  const seeds: DemoSeed[] = DEMO_ACCOUNTS.map((demo) => {
    const anchor = today - demo.anchorDaysAgo * DAY_MS;
    // The demo ids are fixed so that links in the README and tests stay valid across seeds.
    const account = newAccountRow(catalog, { now: () => anchor }, { name: demo.name, email: demo.email, planId: demo.planId }, { billingAnchorMs: anchor, id: demo.id });
    const keys = demo.keys.map((name) => newKey({ now: () => anchor + DAY_MS }, demo.id, name));
    keysOf.set(demo.id, keys[0]!.key);
    const keyRows = keys.map((k) => k.row);
    // The history is generated as it is written, inside the seed's transaction.
    return { account, keys: keyRows, days: { [Symbol.iterator]: () => demoDays(catalog, demo, anchor, keyRows.map((k) => k.id), window, notices) } };
  });
  const seeded = await insertDemo(db, seeds);
  if (!seeded) return null;
  await raiseDemoNotices(db, catalog, notices, opts.links ?? { baseUrl: () => "http://localhost:3000", linkSecret: "headroom-demo" }, window.graceMs);
  // The pricing experiment the demo's ten accounts are the beta cohort of.
  await seedDemoExperiment(db, clock, seeded.accounts.map((a) => a.id));
  const modes = await planModes(db);
  const first = DEMO_ACCOUNTS[0]!.id;
  return {
    accounts: seeded.accounts.map((r) => toAccount(catalog, r, modes)),
    minuteRows: seeded.minuteRows,
    demoKey: { accountId: first, key: keysOf.get(first)! },
    enforcedKey: { accountId: DEMO_ENFORCED_ACCOUNT_ID, key: keysOf.get(DEMO_ENFORCED_ACCOUNT_ID)! },
  };
}

/**
 * The notices the history implies, raised as the detector raised them then (same facts, same dedupe
 * keys, so it raises none of them again) and read by the customer at once: the grace period runs
 * from then. Their e-mails stay in the outbox (they are history, not news) and no webhook is sent.
 */
async function raiseDemoNotices(db: Store, catalog: Catalog, notices: DemoNotice[], links: Pick<NotifyContext, "baseUrl" | "linkSecret"> & Partial<Pick<NotifyContext, "brand">>, graceMs: number): Promise<void> {
  const meter = catalog.defaultMeter;
  const several = catalog.meters.length > 1;
  for (const n of notices.sort((a, b) => a.atMs - b.atMs)) {
    const clock = { now: () => n.atMs };
    const account = await getAccount(db, catalog, n.accountId);
    // What the Plans page recommended then: the same advisor, asked at that moment.
    const advice = await new PlanAdvisor(db, clock, catalog).compare(account.id);
    const notice = await raiseNotice(
      // The moment the notice was raised: after `links`, which may be the server's whole notify context (its own clock).
      { db, brand: DEFAULT_BRAND, ...links, clock, webhookUrl: null, smtp: false },
      {
        accountId: n.accountId,
        kind: n.kind,
        window: n.window,
        periodStartMs: n.period.startMs,
        meter: { id: meter.id, isDefault: true },
        facts: {
          kind: n.kind,
          planId: account.plan.id,
          planName: account.plan.name,
          meter: meter.id,
          ...(several ? { unit: meter.unit } : {}),
          window: n.window,
          limit: n.limit,
          used: n.used,
          resetAtMs: n.period.endMs,
          mode: "enforce",
          // Told now, read now: refusals can start a grace period later (the detector's rule).
          refusalsFromMs: n.atMs + graceMs,
          recommended: advice?.switchTo ?? null,
          fitsRate: describeRate(n.limit, n.window, several ? meter.unit : undefined),
        },
      },
    );
    if (notice) await markDelivered(db, n.accountId, notice.id, n.atMs);
  }
}
