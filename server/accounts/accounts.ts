import { z } from "zod";
import { isPlanId, PLANS, type Caps, type EnforcementMode, type Plan, type PlanId } from "../../shared/plans";
import { billingPeriodAt, startOfUtcDay, type BillingPeriod } from "../../shared/limits";
import { accountRowById, accountRowByIdSync, insertAccountUnlessEmailTaken, listAccountRows, planModes, planModesSync, type AccountRow, type NewAccountRow } from "../db/queries/accounts";
import type { Store } from "../db/queries/store";
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

/** The row a new account starts as: its plan's currency, its first period from the start of today (UTC) unless given. */
export function newAccountRow(clock: Clock, raw: CreateAccountInput, opts: { billingAnchorMs?: number; id?: string } = {}): NewAccountRow {
  const input = createAccountInput.parse(raw);
  const now = clock.now();
  return {
    id: opts.id ?? newId("acc"),
    name: input.name,
    email: input.email,
    planId: input.planId,
    currency: PLANS[input.planId as PlanId].currency,
    billingAnchorMs: opts.billingAnchorMs ?? startOfUtcDay(now),
    createdAtMs: now,
  };
}

export async function createAccount(db: Store, clock: Clock, raw: CreateAccountInput, opts: { billingAnchorMs?: number; id?: string } = {}): Promise<Account> {
  const values = newAccountRow(clock, raw, opts);
  const added = await insertAccountUnlessEmailTaken(db, values);
  if ("takenBy" in added) throw new DomainError("CONFLICT", `An account with e-mail ${values.email} already exists (${added.takenBy}).`);
  return toAccount(added.row, await planModes(db));
}

export async function listAccounts(db: Store): Promise<Account[]> {
  const modes = await planModes(db);
  return (await listAccountRows(db)).map((r) => toAccount(r, modes));
}

export async function findAccount(db: Store, id: string): Promise<Account | undefined> {
  const row = await accountRowById(db, id);
  return row ? toAccount(row, await planModes(db)) : undefined;
}

/**
 * findAccount, answered synchronously, for the plan advisor alone: the meter asks it for an
 * upgrade link on its synchronous hot path.
 */
export function findAccountSync(db: Store, id: string): Account | undefined {
  const row = accountRowByIdSync(db, id);
  return row ? toAccount(row, planModesSync(db)) : undefined;
}

export async function getAccount(db: Store, id: string): Promise<Account> {
  const account = await findAccount(db, id);
  if (!account) throw new DomainError("NOT_FOUND", `No account ${id}.`);
  return account;
}
