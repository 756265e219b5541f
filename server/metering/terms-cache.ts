import type { Catalog } from "../../shared/catalog";
import { DAY_MS } from "../../shared/limits";
import type { MeteringQueries } from "../db/queries/metering";
import type { Clock } from "../lib/clock";
import { resolveTerms, type AccountTerms } from "./terms";

/** Delivered notices older than this no longer start a grace period for the meter. */
const NOTICE_LOOKBACK_MS = 35 * DAY_MS;

/**
 * Each account's terms, resolved by the pure `resolveTerms` from its row, its plan's mode and its
 * delivered notices, and kept until they change (a verb publishes it) or a grace period they depend
 * on ends (`reloadAtMs`).
 */
export class TermsCache {
  private readonly terms = new Map<string, AccountTerms>();

  constructor(
    private readonly q: Pick<MeteringQueries, "termsRow" | "planMode" | "deliveredNotices">,
    private readonly clock: Clock,
    private readonly catalog: Catalog,
  ) {}

  get(accountId: string): AccountTerms {
    const now = this.clock.now();
    const cached = this.terms.get(accountId);
    if (cached && now < cached.reloadAtMs) return cached;
    const row = this.q.termsRow(accountId);
    if (!row) throw new Error(`account ${accountId} vanished`);
    const t = resolveTerms(row, { plan: this.catalog.planOf(row), planMode: this.q.planMode(row.planId), deliveredNotices: this.q.deliveredNotices(accountId, now - NOTICE_LOOKBACK_MS), nowMs: now, defaultMeter: this.catalog.defaultMeter.id });
    this.terms.set(accountId, t);
    return t;
  }

  /** The account's terms are kept and still hold now: get() reads nothing. */
  fresh(accountId: string): boolean {
    const cached = this.terms.get(accountId);
    return cached !== undefined && this.clock.now() < cached.reloadAtMs;
  }

  /** How far back get() reads delivered notices from now. */
  noticesSince(nowMs: number): number {
    return nowMs - NOTICE_LOOKBACK_MS;
  }

  forget(accountId: string): void {
    this.terms.delete(accountId);
  }

  clear(): void {
    this.terms.clear();
  }
}
