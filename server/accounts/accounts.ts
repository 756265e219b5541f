import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { isPlanId, PLANS, type Caps, type EnforcementMode, type Plan, type PlanId } from "../../shared/plans";
import { billingPeriodAt, startOfUtcDay, type BillingPeriod } from "../../shared/limits";
import type { Db } from "../db/client";
import { accounts, planSettings, type AccountRow } from "../db/schema";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";

export const createAccountInput = z.object({
  name: z.string().trim().min(1, "name is required").max(120),
  email: z.string().trim().toLowerCase().pipe(z.email("email must be an e-mail address")),
  planId: z.string().refine(isPlanId, { message: "planId must be one of free, starter, pro, business, enterprise" }),
});
export type CreateAccountInput = z.input<typeof createAccountInput>;

/** An account as the rest of the server sees it: its plan resolved and overrides applied. */
export interface Account {
  id: string;
  name: string;
  email: string;
  plan: Plan;
  currency: string;
  billingAnchorMs: number;
  /** When the current plan took effect (null: since the account was created). */
  planStartedAtMs: number | null;
  enforcement: EnforcementMode;
  /** The mode is the account's own (a cohort flip), not its plan's: a plan flip leaves it be. */
  ownMode: boolean;
  caps: Caps;
  createdAtMs: number;
  grandfatheredUntilMs: number | null;
  overageOptIn: boolean;
}

/** Enforcement modes operators set per plan (plans without a row follow the catalog). */
export function planModes(db: Db): Map<string, EnforcementMode> {
  return new Map(db.select().from(planSettings).all().map((r) => [r.planId, r.enforcement]));
}

/** An account's mode: its own override, else its plan's (operator setting, else catalog). */
export function effectiveMode(row: Pick<AccountRow, "planId" | "enforcementOverride">, modes: Map<string, EnforcementMode>): EnforcementMode {
  const plan = PLANS[isPlanId(row.planId) ? row.planId : "free"];
  return row.enforcementOverride ?? modes.get(plan.id) ?? plan.enforcement;
}

export function toAccount(row: AccountRow, modes: Map<string, EnforcementMode> = new Map()): Account {
  const planId: PlanId = isPlanId(row.planId) ? row.planId : "free";
  const plan = PLANS[planId];
  const overrides = row.capOverridesJson ? (JSON.parse(row.capOverridesJson) as Caps) : {};
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    plan,
    currency: row.currency,
    billingAnchorMs: row.billingAnchorMs,
    planStartedAtMs: row.planStartedAtMs,
    enforcement: effectiveMode(row, modes),
    ownMode: row.enforcementOverride !== null,
    caps: { ...plan.caps, ...overrides },
    createdAtMs: row.createdAtMs,
    grandfatheredUntilMs: row.grandfatheredUntilMs,
    overageOptIn: row.overageOptIn,
  };
}

export function currentPeriod(account: Pick<Account, "billingAnchorMs">, nowMs: number): BillingPeriod {
  return billingPeriodAt(account.billingAnchorMs, nowMs);
}

export function createAccount(db: Db, clock: Clock, raw: CreateAccountInput, opts: { billingAnchorMs?: number; id?: string } = {}): Account {
  const input = createAccountInput.parse(raw);
  const now = clock.now();
  const existing = db.select({ id: accounts.id }).from(accounts).where(eq(accounts.email, input.email)).get();
  if (existing) throw new DomainError("CONFLICT", `An account with e-mail ${input.email} already exists (${existing.id}).`);
  const row = db
    .insert(accounts)
    .values({
      id: opts.id ?? newId("acc"),
      name: input.name,
      email: input.email,
      planId: input.planId,
      currency: PLANS[input.planId as PlanId].currency,
      billingAnchorMs: opts.billingAnchorMs ?? startOfUtcDay(now),
      createdAtMs: now,
    })
    .returning()
    .get();
  return toAccount(row, planModes(db));
}

export function listAccounts(db: Db): Account[] {
  const modes = planModes(db);
  return db
    .select()
    .from(accounts)
    .orderBy(asc(accounts.name))
    .all()
    .map((r) => toAccount(r, modes));
}

export function findAccount(db: Db, id: string): Account | undefined {
  const row = db.select().from(accounts).where(eq(accounts.id, id)).get();
  return row ? toAccount(row, planModes(db)) : undefined;
}

export function getAccount(db: Db, id: string): Account {
  const account = findAccount(db, id);
  if (!account) throw new DomainError("NOT_FOUND", `No account ${id}.`);
  return account;
}
