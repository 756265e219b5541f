import type Database from "better-sqlite3";
import { DAY_MS, limitStatus, startOfMinute, startOfUtcDay, windowResetAt, type LimitStatus } from "../../shared/limits";
import { isPlanId, PLANS, type Caps, type EnforcementMode, type Plan, type WindowName } from "../../shared/plans";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import { hashKey } from "../keys/keys";
import { AccountCounters, persistedUsage } from "./counters";
import { decide, type Decision } from "./decide";
import { SlidingMinute } from "./sliding-minute";
import { DECISION_TIMING_SAMPLE, type Metrics } from "../lib/metrics";

export interface MeterOptions {
  sqlite: Database.Database;
  clock: Clock;
  logger: Logger;
  /** How often the buffer is written (ms). */
  flushMs: number;
  /** Per-key safety ceiling, calls per minute, enforced in every mode. */
  ceilingPerMinute: number;
  /** How long after a delivered notice a cap may refuse calls (ms). */
  graceMs: number;
  /** Events older than this are rejected by recordEvents (ms). */
  maxLatenessMs: number;
  /** Which plan to offer an account that is over a cap (null: none). */
  recommendPlan?: (accountId: string) => string | null;
  /** Called after each successful flush with the accounts whose counts changed. */
  onFlushed?: (accountIds: string[]) => void;
  /** Called when another connection (another process, the CLI) has committed since the last look. */
  onChangedElsewhere?: () => void;
  metrics?: Metrics;
}

/** What the meter knows about an account's terms; reloaded when the database changes. */
interface AccountTerms {
  id: string;
  name: string;
  plan: Plan;
  mode: EnforcementMode;
  caps: Caps;
  billingAnchorMs: number;
  /** When the current plan took effect; its monthly quota counts from there within the period (null: the period start). */
  planStartedAtMs: number | null;
  noticeDeliveredAtMs: Partial<Record<WindowName, number>>;
  /** Reload the terms at this moment (grandfathering ends). */
  reloadAtMs: number;
}

interface KeyEntry {
  keyId: string;
  accountId: string;
  revoked: boolean;
}

interface BufferedMinute {
  minuteMs: number;
  keyId: string;
  accountId: string;
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

export interface CeilingStatus {
  limit: number;
  /** Calls this key made in the last minute (after this call; a refused call consumes nothing). */
  used: number;
  /** When a call of this cost fits under the ceiling again (unix ms). */
  resetAtMs: number;
}

export type CheckResult =
  | { ok: false; reason: "unknown_key" | "revoked_key" }
  | {
      ok: true;
      decision: Decision;
      allowed: boolean;
      /** The same idempotency id was seen before: the first decision, nothing counted again. */
      duplicate: boolean;
      keyId: string;
      account: { id: string; name: string };
      plan: { id: string; name: string };
      mode: EnforcementMode;
      /** What this call counts as. */
      cost: number;
      /**
       * Every window of the plan after this call. After a refusal, a sliding window's resetAtMs is
       * when a call of this cost fits again (when it can fit at all).
       */
      limits: LimitStatus[];
      /** Windows this call exceeded, and those that refused it. */
      violated: WindowName[];
      refusing: WindowName[];
      ceiling: CeilingStatus;
      /** The account's current billing period (the month window). */
      period: { startMs: number; endMs: number };
      /** Plan to suggest when over a cap. */
      recommendedPlanId: string | null;
    };

export interface UsageEvent {
  id: string;
  key: string;
  cost: number;
  /** Unix ms. */
  timestampMs: number;
}

export type EventRejectReason = "unknown_key" | "revoked_key" | "too_late" | "in_the_future" | "duplicate_in_batch";

export interface EventsResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; id: string; reason: EventRejectReason }>;
}

const GRACE_NOTICE_KINDS = "('reached', 'sustained', 'enforcement_scheduled')";
const NOTICE_LOOKBACK_MS = 35 * DAY_MS;
/** Ids written per statement in a flush. */
const ID_CHUNK = 2_000;
const DECISION_COLUMN = { allow: "allowed", would_throttle: "wouldThrottle", throttle: "throttled", ceiling: "ceiling" } as const;

interface PendingId {
  decision: Decision;
  seenAtMs: number;
}

/** Idempotency ids counted since the last flush, per account (an id is unique within its account). */
class PendingIds {
  private readonly byAccount = new Map<string, Map<string, PendingId>>();
  size = 0;

  of(accountId: string): Map<string, PendingId> | undefined {
    return this.byAccount.get(accountId);
  }

  get(accountId: string, id: string): PendingId | undefined {
    return this.byAccount.get(accountId)?.get(id);
  }

  /** Keeps the first decision of an id. */
  add(accountId: string, id: string, p: PendingId): void {
    let m = this.byAccount.get(accountId);
    if (!m) this.byAccount.set(accountId, (m = new Map()));
    if (m.has(id)) return;
    m.set(id, p);
    this.size++;
  }

  /** Per account, the ids as [id, decision, seenAtMs] rows, at most `size` at a time. */
  *chunks(size: number): Generator<[accountId: string, rows: Array<[string, Decision, number]>]> {
    for (const [accountId, m] of this.byAccount) {
      let rows: Array<[string, Decision, number]> = [];
      for (const [id, p] of m) {
        rows.push([id, p.decision, p.seenAtMs]);
        if (rows.length === size) {
          yield [accountId, rows];
          rows = [];
        }
      }
      if (rows.length) yield [accountId, rows];
    }
  }

  *entries(): Generator<[accountId: string, id: string, p: PendingId]> {
    for (const [accountId, m] of this.byAccount) for (const [id, p] of m) yield [accountId, id, p];
  }
}

/**
 * The metering engine: decides each call from in-memory counters, and writes what it counted to
 * the rollups in one transaction per flush. A call is counted once: idempotency ids are written in
 * the same transaction as the counts, and an unflushed buffer is lost whole or not at all.
 */
export class Meter {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly terms = new Map<string, AccountTerms>();
  private readonly counters = new Map<string, AccountCounters>();
  private readonly ceilings = new Map<string, SlidingMinute>();

  private buffer = new Map<string, BufferedMinute>();
  private limitEvents = new Map<string, { minuteMs: number; accountId: string; window: string; decision: string; count: number }>();
  private ids = new PendingIds();
  private keysUsed = new Map<string, number>();
  /** Decisions so far, for sampling their timing. */
  private calls = 0;

  private timer: NodeJS.Timeout | null = null;
  private dataVersion: number;
  private flushing = false;
  private consecutiveFailures = 0;

  private readonly stmt;
  private readonly loadPersisted;

  constructor(private readonly o: MeterOptions) {
    const db = o.sqlite;
    this.loadPersisted = persistedUsage(db);
    this.stmt = {
      dataVersion: db.prepare("pragma data_version").pluck(),
      keyByHash: db.prepare("select id, account_id as accountId, revoked_at_ms as revokedAtMs from api_keys where hash = ?"),
      account: db.prepare(
        "select id, name, plan_id as planId, billing_anchor_ms as billingAnchorMs, plan_started_at_ms as planStartedAtMs, enforcement_override as enforcementOverride, cap_overrides_json as capOverridesJson, grandfathered_until_ms as grandfatheredUntilMs, overage_opt_in as overageOptIn from accounts where id = ?",
      ),
      notices: db.prepare(
        `select window, min(delivered_at_ms) as at from notices where account_id = ? and delivered_at_ms is not null and delivered_at_ms >= ? and kind in ${GRACE_NOTICE_KINDS} group by window`,
      ),
      planMode: db.prepare("select enforcement from plan_settings where plan_id = ?").pluck(),
      seenId: db.prepare("select decision from metered_ids where account_id = ? and id = ?").pluck(),
      storedIds: db.prepare("select id from metered_ids where account_id = ? and id in (select value from json_each(?))").pluck(),
      upsertMinute: db.prepare(
        `insert into usage_minute (minute_ms, key_id, account_id, allowed, would_throttle, throttled, ceiling) values (?, ?, ?, ?, ?, ?, ?)
         on conflict (minute_ms, key_id) do update set allowed = allowed + excluded.allowed, would_throttle = would_throttle + excluded.would_throttle,
           throttled = throttled + excluded.throttled, ceiling = ceiling + excluded.ceiling`,
      ),
      accountMinute: db.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and minute_ms = ?").pluck(),
      upsertDay: db.prepare(
        `insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, ?, ?, ?, ?, ?)
         on conflict (account_id, day_ms) do update set allowed = allowed + excluded.allowed, would_throttle = would_throttle + excluded.would_throttle,
           throttled = throttled + excluded.throttled, ceiling = ceiling + excluded.ceiling, peak_minute = max(peak_minute, excluded.peak_minute)`,
      ),
      upsertLimitEvent: db.prepare(
        `insert into limit_events (minute_ms, account_id, window, decision, count) values (?, ?, ?, ?, ?)
         on conflict (minute_ms, account_id, window, decision) do update set count = count + excluded.count`,
      ),
      // Many ids in one statement: the rows come from a JSON array of [id, decision, seenAtMs] (about 40% less per id than one run() each).
      insertIds: db.prepare(
        "insert or ignore into metered_ids (account_id, id, decision, seen_at_ms) select ?, value ->> 0, value ->> 1, value ->> 2 from json_each(?)",
      ),
      keyUsed: db.prepare("update api_keys set last_used_at_ms = max(coalesce(last_used_at_ms, 0), ?) where id = ?"),
      pruneIds: db.prepare("delete from metered_ids where seen_at_ms < ?"),
    };
    this.dataVersion = this.stmt.dataVersion.get() as number;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refreshIfChangedElsewhere();
      this.flush();
    }, this.o.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is buffered; retries a busy database until `deadlineMs`. */
  async stop(deadlineMs = 4_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const until = Date.now() + deadlineMs;
    while (!this.flush() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (this.pendingCount() > 0) this.o.logger.error({ pending: this.pendingCount() }, "meter stopped with unflushed usage");
  }

  // ---- cache invalidation ------------------------------------------------------------------

  /** Another connection (the CLI, a second process) committed: forget cached keys and terms. */
  refreshIfChangedElsewhere(): void {
    const v = this.stmt.dataVersion.get() as number;
    if (v !== this.dataVersion) {
      this.dataVersion = v;
      this.keys.clear();
      this.terms.clear();
      this.o.onChangedElsewhere?.();
    }
  }

  /** A key was revoked or created in this process. */
  invalidateKeys(): void {
    this.keys.clear();
  }

  /**
   * The account's plan or terms changed: new caps apply to the next call, and the counters are
   * rebuilt from the rollups after a flush (a new plan's monthly quota counts from its own start; a
   * Free → paid switch starts a new billing period).
   */
  reloadAccount(accountId: string): void {
    this.terms.delete(accountId);
    if (this.flush()) this.counters.delete(accountId);
  }

  /** An operator changed a plan's enforcement mode: every account's terms are re-read. */
  invalidateAllTerms(): void {
    this.terms.clear();
  }

  /** An account's plan, overrides or notices changed in this process. */
  invalidateAccount(accountId: string): void {
    this.terms.delete(accountId);
  }

  // ---- lookups -------------------------------------------------------------------------------

  private keyFor(key: string): KeyEntry | null {
    const hash = hashKey(key);
    let entry = this.keys.get(hash);
    if (!entry) {
      const row = this.stmt.keyByHash.get(hash) as { id: string; accountId: string; revokedAtMs: number | null } | undefined;
      if (!row) return null;
      entry = { keyId: row.id, accountId: row.accountId, revoked: row.revokedAtMs !== null };
      this.keys.set(hash, entry);
    }
    return entry;
  }

  private termsFor(accountId: string): AccountTerms {
    const now = this.o.clock.now();
    let t = this.terms.get(accountId);
    if (t && now < t.reloadAtMs) return t;
    const row = this.stmt.account.get(accountId) as
      | {
          id: string;
          name: string;
          planId: string;
          billingAnchorMs: number;
          planStartedAtMs: number | null;
          enforcementOverride: EnforcementMode | null;
          capOverridesJson: string | null;
          grandfatheredUntilMs: number | null;
          overageOptIn: number;
        }
      | undefined;
    if (!row) throw new Error(`account ${accountId} vanished`);
    const plan = PLANS[isPlanId(row.planId) ? row.planId : "free"];
    const noticeDeliveredAtMs: Partial<Record<WindowName, number>> = {};
    const rows = this.stmt.notices.all(accountId, now - NOTICE_LOOKBACK_MS) as Array<{ window: WindowName | null; at: number }>;
    for (const r of rows) {
      // A notice without a window is about every cap of the plan.
      for (const w of r.window ? [r.window] : (["minute", "day", "month"] as const)) {
        noticeDeliveredAtMs[w] = Math.min(noticeDeliveredAtMs[w] ?? Infinity, r.at);
      }
    }
    const grandfathered = row.grandfatheredUntilMs !== null && now < row.grandfatheredUntilMs;
    const mode: EnforcementMode = row.enforcementOverride ?? (this.stmt.planMode.get(plan.id) as EnforcementMode | undefined) ?? plan.enforcement;
    const caps: Caps = { ...plan.caps, ...(row.capOverridesJson ? (JSON.parse(row.capOverridesJson) as Caps) : {}) };
    // Opted into overage: calls beyond the monthly quota are billed, not limited.
    if (row.overageOptIn && plan.overagePer1000Minor !== undefined) delete caps.month;
    t = {
      id: row.id,
      name: row.name,
      plan,
      // Grandfathered accounts keep their terms: nothing is enforced until the date.
      mode: grandfathered && mode === "enforce" ? "shadow" : mode,
      caps,
      billingAnchorMs: row.billingAnchorMs,
      planStartedAtMs: row.planStartedAtMs,
      noticeDeliveredAtMs,
      reloadAtMs: grandfathered ? row.grandfatheredUntilMs! : Infinity,
    };
    this.terms.set(accountId, t);
    return t;
  }

  private countersFor(terms: AccountTerms, nowMs: number): AccountCounters {
    let c = this.counters.get(terms.id);
    // The plan changed in another process (a new period, a new plan's quota): rebuilt from the
    // rollups, once what this process counted is written (if the write must wait, the next call rebuilds).
    if (c && (c.billingAnchorMs !== terms.billingAnchorMs || c.planStartedAtMs !== terms.planStartedAtMs) && this.flush()) {
      this.counters.delete(terms.id);
      c = undefined;
    }
    if (!c) {
      c = new AccountCounters(terms.billingAnchorMs, nowMs, this.loadPersisted(terms.id, terms.billingAnchorMs, nowMs, terms.planStartedAtMs), terms.planStartedAtMs);
      this.counters.set(terms.id, c);
    } else c.roll(nowMs);
    return c;
  }

  private ceilingFor(keyId: string): SlidingMinute {
    let c = this.ceilings.get(keyId);
    if (!c) this.ceilings.set(keyId, (c = new SlidingMinute()));
    return c;
  }

  private seenDecision(accountId: string, id: string): Decision | null {
    const pending = this.ids.get(accountId, id);
    if (pending) return pending.decision;
    return (this.stmt.seenId.get(accountId, id) as Decision | undefined) ?? null;
  }

  // ---- the decision ------------------------------------------------------------------------

  /** Decides one call of `cost` for `key`, counts it, and says where the account stands. */
  check(key: string, cost: number, id?: string): CheckResult {
    const m = this.o.metrics;
    if (!m) return this.decideCall(key, cost, id);
    let r: CheckResult;
    // The first call and every 16th after it: a quiet server still shows a latency.
    if (this.calls++ % DECISION_TIMING_SAMPLE === 0) {
      const started = performance.now();
      r = this.decideCall(key, cost, id);
      m.decisionSeconds.observe((performance.now() - started) / 1000);
    } else r = this.decideCall(key, cost, id);
    if (r.ok) m.decisionTally.add(`${r.decision}\u0000${r.plan.id}`, { decision: r.decision, plan: r.plan.id });
    else m.decisionTally.add(r.reason, { decision: r.reason, plan: "none" });
    return r;
  }

  private decideCall(key: string, cost: number, id?: string): CheckResult {
    const entry = this.keyFor(key);
    if (!entry) return { ok: false, reason: "unknown_key" };
    if (entry.revoked) return { ok: false, reason: "revoked_key" };
    const now = this.o.clock.now();
    const terms = this.termsFor(entry.accountId);
    const counters = this.countersFor(terms, now);
    const ceiling = this.ceilingFor(entry.keyId);

    const previous = id === undefined ? null : this.seenDecision(terms.id, id);
    if (previous) return this.result(entry, terms, counters, ceiling, now, cost, previous, [], [], true);

    const caps = terms.caps;
    const { decision, violated, refusing } = decide({
      mode: terms.mode,
      cost,
      nowMs: now,
      ceiling: { limit: this.o.ceilingPerMinute, used: ceiling.count(now) },
      windows: [
        { window: "minute", limit: caps.minute, used: counters.minute.count(now) },
        { window: "day", limit: caps.day, used: counters.dayUsed },
        { window: "month", limit: caps.month, used: counters.monthUsed },
      ],
      noticeDeliveredAtMs: terms.noticeDeliveredAtMs,
      graceMs: this.o.graceMs,
    });

    const served = decision === "allow" || decision === "would_throttle";
    if (served) {
      counters.minute.add(now, cost);
      counters.dayUsed += cost;
      counters.monthUsed += cost;
      ceiling.add(now, cost);
    }
    this.bufferCall(now, entry, decision, cost);
    if (decision !== "allow") {
      const windows = decision === "ceiling" ? ["ceiling"] : decision === "throttle" ? refusing : violated;
      for (const w of windows) this.bufferLimitEvent(now, terms.id, w, decision, cost);
    }
    if (id !== undefined) this.ids.add(terms.id, id, { decision, seenAtMs: now });
    return this.result(entry, terms, counters, ceiling, now, cost, decision, violated, refusing, false);
  }

  private result(
    entry: KeyEntry,
    terms: AccountTerms,
    counters: AccountCounters,
    ceiling: SlidingMinute,
    now: number,
    cost: number,
    decision: Decision,
    violated: WindowName[],
    refusing: WindowName[],
    duplicate: boolean,
  ): CheckResult {
    const allowed = decision === "allow" || decision === "would_throttle";
    // A refused call says when a call of its own cost fits again; otherwise, when the next call does.
    const nextCost = allowed ? 1 : cost;
    const limits = this.limitsOf(terms, counters, now, nextCost);
    const over = violated.length > 0 || limits.some((l) => l.state === "over");
    const ceilingUsed = ceiling.count(now);
    const ceilingLimit = this.o.ceilingPerMinute;
    return {
      ok: true,
      decision,
      allowed,
      duplicate,
      keyId: entry.keyId,
      account: { id: terms.id, name: terms.name },
      plan: { id: terms.plan.id, name: terms.plan.name },
      mode: terms.mode,
      cost,
      limits,
      violated,
      refusing,
      ceiling: {
        limit: ceilingLimit,
        used: ceilingUsed,
        resetAtMs: now + ceiling.msUntilFreed(now, ceilingUsed + (nextCost <= ceilingLimit ? nextCost : 1) - ceilingLimit),
      },
      period: counters.period,
      recommendedPlanId: over && this.o.recommendPlan ? this.o.recommendPlan(terms.id) : null,
    };
  }

  /** Where the account stands; a sliding window's reset is when a call of `nextCost` fits again (1 unless it never could). */
  private limitsOf(terms: AccountTerms, counters: AccountCounters, now: number, nextCost = 1): LimitStatus[] {
    const caps = terms.caps;
    const approachingRatio = terms.plan.thresholds[0];
    const minuteUsed = counters.minute.count(now);
    const minuteCap = caps.minute;
    // The sliding minute frees up as calls age out: report when enough have left for the next call.
    const fitting = minuteCap !== undefined && nextCost > minuteCap ? 1 : nextCost;
    const minuteReset =
      minuteCap !== undefined && minuteUsed + fitting > minuteCap
        ? now + counters.minute.msUntilFreed(now, minuteUsed + fitting - minuteCap)
        : windowResetAt("minute", now, counters.period);
    return [
      limitStatus({ window: "minute", limit: minuteCap, used: minuteUsed, resetAtMs: minuteReset, approachingRatio }),
      limitStatus({ window: "day", limit: caps.day, used: counters.dayUsed, resetAtMs: windowResetAt("day", now, counters.period), approachingRatio }),
      { ...limitStatus({ window: "month", limit: caps.month, used: counters.monthUsed, resetAtMs: counters.period.endMs, approachingRatio }), fromMs: counters.monthFromMs },
    ];
  }

  /** An account's terms and where it stands, for detection. */
  standing(accountId: string) {
    const now = this.o.clock.now();
    const terms = this.termsFor(accountId);
    const counters = this.countersFor(terms, now);
    return {
      name: terms.name,
      plan: terms.plan,
      mode: terms.mode,
      caps: terms.caps,
      noticeDeliveredAtMs: terms.noticeDeliveredAtMs,
      limits: this.limitsOf(terms, counters, now),
      period: counters.period,
    };
  }

  /** Where an account stands right now (live counters), for the portal and /v1. */
  limitsFor(accountId: string): { limits: LimitStatus[]; period: { startMs: number; endMs: number } } {
    const now = this.o.clock.now();
    const terms = this.termsFor(accountId);
    const counters = this.countersFor(terms, now);
    return { limits: this.limitsOf(terms, counters, now), period: counters.period };
  }

  // ---- events recorded after the fact --------------------------------------------------------

  /**
   * Records usage the provider already served. Each event is counted once by its id: the ids of a
   * batch that are not waiting in the buffer are looked up in one query per account, not one per event.
   */
  recordEvents(events: UsageEvent[]): EventsResult {
    const now = this.o.clock.now();
    const result: EventsResult = { accepted: 0, duplicates: 0, rejected: [] };
    // A batch usually carries a handful of keys (and accounts): each key is hashed and looked up once.
    const keys = new Map<string, KeyEntry | null>();
    const batches = new Map<string, { ids: Set<string>; pending: Map<string, PendingId> | undefined; events: Array<{ e: UsageEvent; entry: KeyEntry }> }>();
    for (let index = 0; index < events.length; index++) {
      const e = events[index]!;
      let entry = keys.get(e.key);
      if (entry === undefined) keys.set(e.key, (entry = this.keyFor(e.key)));
      if (!entry || entry.revoked) {
        result.rejected.push({ index, id: e.id, reason: entry ? "revoked_key" : "unknown_key" });
        continue;
      }
      if (e.timestampMs > now + 5 * 60_000) {
        result.rejected.push({ index, id: e.id, reason: "in_the_future" });
        continue;
      }
      if (e.timestampMs < now - this.o.maxLatenessMs) {
        result.rejected.push({ index, id: e.id, reason: "too_late" });
        continue;
      }
      let batch = batches.get(entry.accountId);
      if (!batch) batches.set(entry.accountId, (batch = { ids: new Set(), pending: this.ids.of(entry.accountId), events: [] }));
      if (batch.ids.has(e.id)) {
        result.rejected.push({ index, id: e.id, reason: "duplicate_in_batch" });
        continue;
      }
      batch.ids.add(e.id);
      if (batch.pending?.has(e.id)) {
        result.duplicates++;
        continue;
      }
      batch.events.push({ e, entry });
    }
    for (const [accountId, batch] of batches) {
      if (!batch.events.length) continue;
      // The ids already written: one query for the account's whole batch.
      const stored = new Set(this.stmt.storedIds.all(accountId, JSON.stringify(batch.events.map((x) => x.e.id))) as string[]);
      const terms = this.termsFor(accountId);
      const counters = this.countersFor(terms, now);
      for (const { e, entry } of batch.events) {
        if (stored.has(e.id)) {
          result.duplicates++;
          continue;
        }
        // Served calls: over a day or month cap they are what shadow mode calls would_throttle.
        let decision: Decision = "allow";
        if (e.timestampMs >= counters.dayMs) {
          const overDay = terms.caps.day !== undefined && counters.dayUsed + e.cost > terms.caps.day;
          const overMonth = terms.caps.month !== undefined && counters.monthUsed + e.cost > terms.caps.month;
          if ((overDay || overMonth) && terms.mode !== "off") decision = "would_throttle";
          counters.dayUsed += e.cost;
        }
        if (e.timestampMs >= counters.monthFromMs) {
          if (e.timestampMs < counters.dayMs && terms.caps.month !== undefined && counters.monthUsed + e.cost > terms.caps.month && terms.mode !== "off")
            decision = "would_throttle";
          counters.monthUsed += e.cost;
        }
        counters.minute.addAt(e.timestampMs, now, e.cost);
        this.bufferCall(e.timestampMs, entry, decision, e.cost);
        this.ids.add(accountId, e.id, { decision, seenAtMs: now });
        result.accepted++;
      }
    }
    return result;
  }

  // ---- buffer and flush ----------------------------------------------------------------------

  private bufferCall(atMs: number, entry: KeyEntry, decision: Decision, cost: number): void {
    const minuteMs = startOfMinute(atMs);
    const k = `${minuteMs}\u0000${entry.keyId}`;
    let row = this.buffer.get(k);
    if (!row) {
      row = { minuteMs, keyId: entry.keyId, accountId: entry.accountId, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0 };
      this.buffer.set(k, row);
    }
    row[DECISION_COLUMN[decision]] += cost;
    const last = this.keysUsed.get(entry.keyId) ?? 0;
    if (atMs > last) this.keysUsed.set(entry.keyId, atMs);
  }

  private bufferLimitEvent(atMs: number, accountId: string, window: string, decision: Decision, cost: number): void {
    const minuteMs = startOfMinute(atMs);
    const k = `${minuteMs}\u0000${accountId}\u0000${window}\u0000${decision}`;
    const e = this.limitEvents.get(k);
    if (e) e.count += cost;
    else this.limitEvents.set(k, { minuteMs, accountId, window, decision, count: cost });
  }

  /** Rows and ids waiting for the next flush. */
  pendingCount(): number {
    return this.buffer.size + this.ids.size + this.limitEvents.size;
  }

  /**
   * Writes the buffer in one IMMEDIATE transaction. On failure (a busy database) the buffer is kept
   * and merged with what arrives meanwhile, for the next attempt. Returns true when nothing is pending.
   */
  flush(): boolean {
    if (this.flushing) return false;
    if (this.pendingCount() === 0) return true;
    this.flushing = true;
    const buffer = this.buffer;
    const limitEvents = this.limitEvents;
    const ids = this.ids;
    const keysUsed = this.keysUsed;
    this.buffer = new Map();
    this.limitEvents = new Map();
    this.ids = new PendingIds();
    this.keysUsed = new Map();
    const started = performance.now();
    try {
      const touched = this.writeBatch(buffer, limitEvents, ids, keysUsed);
      this.consecutiveFailures = 0;
      this.o.metrics?.flushSeconds.observe((performance.now() - started) / 1000);
      this.o.metrics?.flushRows.observe(buffer.size + ids.size + limitEvents.size);
      this.o.logger.debug({ rows: buffer.size, ids: ids.size, ms: performance.now() - started }, "meter flushed");
      if (touched.length && this.o.onFlushed) {
        try {
          this.o.onFlushed(touched);
        } catch (err) {
          this.o.logger.error({ err }, "after-flush hook failed");
        }
      }
      return this.pendingCount() === 0;
    } catch (err) {
      this.consecutiveFailures++;
      this.o.metrics?.flushFailures.inc();
      this.restore(buffer, limitEvents, ids, keysUsed);
      const level = this.consecutiveFailures > 20 ? "error" : "warn";
      this.o.logger[level]({ err, attempt: this.consecutiveFailures, pending: this.pendingCount() }, "meter flush failed; will retry");
      return false;
    } finally {
      this.flushing = false;
    }
  }

  private writeBatch(
    buffer: Map<string, BufferedMinute>,
    limitEvents: Meter["limitEvents"],
    ids: Meter["ids"],
    keysUsed: Map<string, number>,
  ): string[] {
    const s = this.stmt;
    const touched = new Set<string>();
    const tx = this.o.sqlite.transaction(() => {
      const days = new Map<string, { dayMs: number; accountId: string; allowed: number; wouldThrottle: number; throttled: number; ceiling: number; peak: number }>();
      const accountMinutes = new Map<string, { minuteMs: number; accountId: string; dayKey: string }>();
      for (const r of buffer.values()) {
        s.upsertMinute.run(r.minuteMs, r.keyId, r.accountId, r.allowed, r.wouldThrottle, r.throttled, r.ceiling);
        touched.add(r.accountId);
        const dayMs = startOfUtcDay(r.minuteMs);
        const dk = `${dayMs}\u0000${r.accountId}`;
        let d = days.get(dk);
        if (!d) days.set(dk, (d = { dayMs, accountId: r.accountId, allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0, peak: 0 }));
        d.allowed += r.allowed;
        d.wouldThrottle += r.wouldThrottle;
        d.throttled += r.throttled;
        d.ceiling += r.ceiling;
        if (r.allowed + r.wouldThrottle > 0) accountMinutes.set(`${r.minuteMs}\u0000${r.accountId}`, { minuteMs: r.minuteMs, accountId: r.accountId, dayKey: dk });
      }
      // The day's busiest minute, over all keys and earlier flushes of the same minute.
      for (const m of accountMinutes.values()) {
        const d = days.get(m.dayKey)!;
        d.peak = Math.max(d.peak, s.accountMinute.get(m.accountId, m.minuteMs) as number);
      }
      for (const d of days.values()) s.upsertDay.run(d.dayMs, d.accountId, d.allowed, d.wouldThrottle, d.throttled, d.ceiling, d.peak);
      for (const e of limitEvents.values()) s.upsertLimitEvent.run(e.minuteMs, e.accountId, e.window, e.decision, e.count);
      for (const [accountId, rows] of ids.chunks(ID_CHUNK)) s.insertIds.run(accountId, JSON.stringify(rows));
      for (const [keyId, at] of keysUsed) s.keyUsed.run(at, keyId);
    });
    // Wait only briefly for another writer: answers must not stall behind the lock; the buffer is kept and retried.
    const busy = this.o.sqlite.pragma("busy_timeout", { simple: true }) as number;
    this.o.sqlite.pragma("busy_timeout = 20");
    try {
      tx.immediate();
    } finally {
      this.o.sqlite.pragma(`busy_timeout = ${busy}`);
    }
    return [...touched];
  }

  private restore(buffer: Map<string, BufferedMinute>, limitEvents: Meter["limitEvents"], ids: Meter["ids"], keysUsed: Map<string, number>): void {
    for (const [k, r] of buffer) {
      const now = this.buffer.get(k);
      if (!now) this.buffer.set(k, r);
      else {
        now.allowed += r.allowed;
        now.wouldThrottle += r.wouldThrottle;
        now.throttled += r.throttled;
        now.ceiling += r.ceiling;
      }
    }
    for (const [k, e] of limitEvents) {
      const now = this.limitEvents.get(k);
      if (now) now.count += e.count;
      else this.limitEvents.set(k, e);
    }
    for (const [accountId, id, p] of ids.entries()) this.ids.add(accountId, id, p);
    for (const [k, at] of keysUsed) this.keysUsed.set(k, Math.max(at, this.keysUsed.get(k) ?? 0));
  }

  /** Forgets idempotency ids older than `retainMs` (at least 48 h). */
  pruneIds(retainMs: number): number {
    return this.stmt.pruneIds.run(this.o.clock.now() - Math.max(retainMs, 48 * 3_600_000)).changes;
  }
}
