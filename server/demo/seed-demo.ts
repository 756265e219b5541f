import { DAY_MS, MINUTE_MS, startOfMinute, startOfUtcDay } from "../../shared/limits";
import type { Catalog } from "../../shared/catalog";
import { CatalogError } from "../../shared/catalog-file";
import { seededRandom } from "../../shared/experiment/stats";
import type { Caps, PlanId } from "../../shared/plans";
import { planModes } from "../db/queries/accounts";
import { insertDemo, type DemoDay, type DemoSeed } from "../db/queries/demo";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { currentPeriod, newAccountRow, toAccount, type Account } from "../accounts/accounts";
import { newKey } from "../keys/keys";
import { seedDemoExperiment } from "./seed-experiment";

/** How a demo account calls the API: a base rate plus optional daily bursts, in calls per minute. */
interface TrafficShape {
  /** Mean calls per minute during the account's working hours. */
  baseRate: number;
  /** UTC hours during which the base traffic runs, [from, to). */
  hours: [number, number];
  /** A daily batch job of `total` calls at `rate` calls/min starting at `atHour` UTC. */
  burst?: { atHour: number; total: number; rate: number };
  /** Share of days with traffic (weekends off when below 1). */
  activeDays?: number;
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

/**
 * Ten accounts across every plan. Three Starter accounts run steadily over their caps (Acme at
 * 268 calls/min in a daily batch and 4,016 calls/day: Business-scale usage on a Starter plan), one
 * Free account is near its monthly cap, one Enterprise account has a large metered bill.
 */
export const DEMO_ACCOUNTS: DemoAccount[] = [
  { id: "acc_demo_acme", name: "Acme Analytics", email: "ops@acme-analytics.example", planId: "starter", anchorDaysAgo: 130, keys: ["Production", "Nightly batch"],
    traffic: { baseRate: 0, hours: [0, 0], burst: { atHour: 2, total: 4_016, rate: 268 } } },
  { id: "acc_demo_brightline", name: "Brightline Labs", email: "dev@brightline.example", planId: "starter", anchorDaysAgo: 75, keys: ["Production"],
    traffic: { baseRate: 1.6, hours: [8, 20], burst: { atHour: 13, total: 1_120, rate: 140 } } },
  { id: "acc_demo_copperleaf", name: "Copperleaf Retail", email: "it@copperleaf.example", planId: "starter", anchorDaysAgo: 210, keys: ["Storefront"],
    traffic: { baseRate: 2.2, hours: [7, 19], burst: { atHour: 18, total: 475, rate: 95 } } },
  { id: "acc_demo_dovetail", name: "Dovetail Studio", email: "hello@dovetail.example", planId: "starter", anchorDaysAgo: 48, keys: ["Website"],
    traffic: { baseRate: 0.7, hours: [9, 21], activeDays: 0.75 } },
  { id: "acc_demo_evergreen", name: "Evergreen Health", email: "team@evergreen.example", planId: "free", anchorDaysAgo: 20, keys: ["Prototype"],
    traffic: { baseRate: 0.055, hours: [8, 22] } },
  { id: "acc_demo_fjord", name: "Fjord Mobile", email: "founders@fjord.example", planId: "free", anchorDaysAgo: 12, keys: ["App"],
    traffic: { baseRate: 0.01, hours: [10, 18], activeDays: 0.5 } },
  { id: "acc_demo_granite", name: "Granite Systems", email: "platform@granite.example", planId: "pro", anchorDaysAgo: 95, keys: ["Backend", "Staging"],
    traffic: { baseRate: 0.15, hours: [6, 22], burst: { atHour: 4, total: 150, rate: 150 } } },
  { id: "acc_demo_harbor", name: "Harbor Logistics", email: "api@harbor.example", planId: "business", anchorDaysAgo: 300, keys: ["Tracking"],
    traffic: { baseRate: 3.2, hours: [5, 23], burst: { atHour: 6, total: 1_100, rate: 110 } } },
  { id: "acc_demo_juniper", name: "Juniper Apps", email: "eng@juniper.example", planId: "business", anchorDaysAgo: 160, keys: ["Production"],
    traffic: { baseRate: 2.5, hours: [0, 24] } },
  { id: "acc_demo_ionic", name: "Ionic Data", email: "billing@ionic.example", planId: "enterprise", anchorDaysAgo: 400, keys: ["Ingest", "Query"],
    traffic: { baseRate: 420, hours: [0, 24] } },
];

export const DEMO_HISTORY_DAYS = 35;

/** A deterministic PRNG, so every seed of the demo tells the same story. */
const prng = seededRandom;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Calls in one minute for a shape; a Poisson-ish draw around the rate. */
function callsInMinute(shape: TrafficShape, minuteOfDay: number, rand: () => number): number {
  const hour = Math.floor(minuteOfDay / 60);
  let rate = 0;
  if (hour >= shape.hours[0] && hour < shape.hours[1]) rate += shape.baseRate;
  const b = shape.burst;
  const intoBurst = b ? minuteOfDay - b.atHour * 60 : -1;
  if (b && intoBurst >= 0 && intoBurst * b.rate < b.total) rate += Math.min(b.rate, b.total - intoBurst * b.rate);
  if (rate === 0) return 0;
  if (rate < 1) return rand() < rate ? 1 : 0;
  // Bursts are steady (a batch job); base traffic varies ±15%.
  const jitter = b && intoBurst >= 0 && intoBurst * b.rate < b.total ? 1 : 0.85 + rand() * 0.3;
  return Math.max(0, Math.round(rate * jitter));
}

export interface SeedResult {
  accounts: Account[];
  minuteRows: number;
  /** A full API key of the first demo account, so the demo can be driven with curl. */
  demoKey: { accountId: string; key: string };
}

/**
 * One demo account's history, day by day from the start of the window (or the account's first day)
 * to the minute before `lastMinute`; days without a call are left out.
 */
function* demoDays(catalog: Catalog, demo: DemoAccount, anchor: number, keyIds: string[], window: { firstMinute: number; today: number; lastMinute: number }): Generator<DemoDay> {
  const caps: Caps = catalog.plan(demo.planId).caps;
  const rand = prng(hash(demo.id));
  const account = { billingAnchorMs: anchor };
  let periodStart = currentPeriod(account, window.firstMinute).startMs;
  let monthServed = 0;
  // No traffic before the account existed.
  for (let day = Math.max(window.firstMinute, anchor); day <= window.today; day += DAY_MS) {
    const period = currentPeriod(account, day);
    if (period.startMs !== periodStart) {
      periodStart = period.startMs;
      monthServed = 0;
    }
    const dayIndex = Math.floor(day / DAY_MS);
    const active = demo.traffic.activeDays === undefined || hash(`${demo.id}:${dayIndex}`) / 4294967296 < demo.traffic.activeDays;
    const minutes: DemoDay["minutes"] = [];
    let dayAllowed = 0;
    let dayOver = 0;
    let peak = 0;
    for (let m = 0; m < 1440 && active; m++) {
      const minuteMs = day + m * MINUTE_MS;
      if (minuteMs >= window.lastMinute) break;
      const n = callsInMinute(demo.traffic, m, rand);
      if (n === 0) continue;
      // Shadow mode serves every call; those beyond a cap are counted as would_throttle.
      const room = Math.min(
        caps.minute ?? Infinity,
        caps.day === undefined ? Infinity : Math.max(0, caps.day - dayAllowed - dayOver),
        caps.month === undefined ? Infinity : Math.max(0, caps.month - monthServed),
      );
      const allowed = Math.min(n, room);
      const over = n - allowed;
      // Spread the minute over the account's keys, the first key taking the larger share.
      const split = keyIds.length > 1 ? Math.ceil(n * 0.7) : n;
      let allowedLeft = allowed;
      let overLeft = over;
      keyIds.forEach((keyId, i) => {
        const share = i === keyIds.length - 1 ? allowedLeft + overLeft : i === 0 ? split : Math.floor((n - split) / (keyIds.length - 1));
        if (share <= 0) return;
        const a = Math.min(share, allowedLeft);
        const o = share - a;
        allowedLeft -= a;
        overLeft -= o;
        minutes.push({ minuteMs, keyId, allowed: a, wouldThrottle: o });
      });
      dayAllowed += allowed;
      dayOver += over;
      monthServed += n;
      peak = Math.max(peak, n);
    }
    if (dayAllowed + dayOver > 0) yield { dayMs: day, allowed: dayAllowed, wouldThrottle: dayOver, peakMinute: peak, minutes };
  }
}

/** Seeds the demo into an empty database; refuses (returns null) if any account exists. */
/** The demo's plans this catalog lacks (none: the demo can be seeded). */
export function demoPlansMissing(catalog: Catalog): string[] {
  return [...new Set(DEMO_ACCOUNTS.map((d) => d.planId))].filter((id) => !catalog.has(id));
}

export async function seedDemo(db: Store, catalog: Catalog, clock: Clock): Promise<SeedResult | null> {
  // The demo's accounts are on the demo catalog's plans.
  const missing = demoPlansMissing(catalog);
  if (missing.length > 0) {
    throw new CatalogError(`The demo accounts are on plans this catalog does not have (${missing.join(", ")}): start with HEADROOM_DEMO=false, or without CATALOG_PATH for the demo catalog.`);
  }
  const now = clock.now();
  const today = startOfUtcDay(now);
  const window = { firstMinute: today - DEMO_HISTORY_DAYS * DAY_MS, today, lastMinute: startOfMinute(now) };

  let demoKey: SeedResult["demoKey"] | null = null;
  const seeds: DemoSeed[] = DEMO_ACCOUNTS.map((demo) => {
    const anchor = today - demo.anchorDaysAgo * DAY_MS;
    // The demo ids are fixed so that links in the README and tests stay valid across seeds.
    const account = newAccountRow(catalog, { now: () => anchor }, { name: demo.name, email: demo.email, planId: demo.planId }, { billingAnchorMs: anchor, id: demo.id });
    const keys = demo.keys.map((name) => newKey({ now: () => anchor + DAY_MS }, demo.id, name));
    demoKey ??= { accountId: demo.id, key: keys[0]!.key };
    const keyRows = keys.map((k) => k.row);
    // The history is generated as it is written, inside the seed's transaction.
    return { account, keys: keyRows, days: { [Symbol.iterator]: () => demoDays(catalog, demo, anchor, keyRows.map((k) => k.id), window) } };
  });
  const seeded = await insertDemo(db, seeds);
  if (!seeded) return null;
  // The pricing experiment the demo's ten accounts are the beta cohort of.
  await seedDemoExperiment(db, clock, seeded.accounts.map((a) => a.id));
  const modes = await planModes(db);
  return { accounts: seeded.accounts.map((r) => toAccount(catalog, r, modes)), minuteRows: seeded.minuteRows, demoKey: demoKey! };
}
