import { z } from "zod";
import { termsOnInterval } from "../../shared/billing-interval";
import type { Catalog } from "../../shared/catalog";
import type { BillingInterval, Caps, EnforcementMode, Plan } from "../../shared/plans";
import { billingPeriodAt, startOfUtcDay, type BillingPeriod } from "../../shared/limits";
import { accountRowById, insertAccountUnlessEmailTaken, listAccountRows, planModes, type AccountRow, type NewAccountRow } from "../db/queries/accounts";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";

/** What a new account needs; its plan must be one of the catalog's (public or not). */
export const createAccountInput = (catalog: Catalog) =>
  z.object({
    name: z.string().trim().min(1, "name is required").max(120),
    email: z.string().trim().toLowerCase().pipe(z.email("email must be an e-mail address")),
    planId: z.string().refine((id) => catalog.has(id), { message: `planId must be one of ${catalog.plans.map((p) => p.id).join(", ")}` }),
  });
export type CreateAccountInput = z.input<ReturnType<typeof createAccountInput>>;

/** An account as the rest of the server sees it: its plan resolved and overrides applied. */
export interface Account {
  id: string;
  name: string;
  email: string;
  plan: Plan;
  currency: string;
  billingAnchorMs: number;
  /** Billed per month (periods of a month from the anchor) or per year. */
  billingInterval: BillingInterval;
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
export function effectiveMode(catalog: Catalog, row: Pick<AccountRow, "planId" | "planVersion" | "enforcementOverride">, modes: Map<string, EnforcementMode>): EnforcementMode {
  const plan = catalog.planOf(row);
  return row.enforcementOverride ?? modes.get(plan.id) ?? plan.enforcement;
}

export function toAccount(catalog: Catalog, row: AccountRow, modes: Map<string, EnforcementMode> = new Map()): Account {
  const plan = catalog.planOf(row);
  const overrides = row.capOverridesJson ? (JSON.parse(row.capOverridesJson) as Caps) : {};
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    plan,
    currency: row.currency,
    billingAnchorMs: row.billingAnchorMs,
    billingInterval: row.billingInterval,
    planStartedAtMs: row.planStartedAtMs,
    enforcement: effectiveMode(catalog, row, modes),
    ownMode: row.enforcementOverride !== null,
    // A yearly quota on a yearly price: the month cap is the year's allowance.
    caps: { ...termsOnInterval(plan, row.billingInterval).caps, ...overrides },
    createdAtMs: row.createdAtMs,
    grandfatheredUntilMs: row.grandfatheredUntilMs,
    overageOptIn: row.overageOptIn,
  };
}

/** The billing period containing `nowMs`: a month, or a year for an account billed yearly. */
export function currentPeriod(account: Pick<Account, "billingAnchorMs"> & { billingInterval?: BillingInterval }, nowMs: number): BillingPeriod {
  return billingPeriodAt(account.billingAnchorMs, nowMs, account.billingInterval ?? "month");
}

/** The row a new account starts as: its plan's currency, its first period from the start of today (UTC) unless given. */
export function newAccountRow(catalog: Catalog, clock: Clock, raw: CreateAccountInput, opts: { billingAnchorMs?: number; billingInterval?: BillingInterval; id?: string } = {}): NewAccountRow {
  const input = createAccountInput(catalog).parse(raw);
  const now = clock.now();
  return {
    id: opts.id ?? newId("acc"),
    name: input.name,
    email: input.email,
    planId: input.planId,
    // A new account is on the plan's current terms.
    planVersion: catalog.plan(input.planId).version,
    currency: catalog.currency,
    billingAnchorMs: opts.billingAnchorMs ?? startOfUtcDay(now),
    ...(opts.billingInterval ? { billingInterval: opts.billingInterval } : {}),
    createdAtMs: now,
  };
}

export async function createAccount(db: Store, catalog: Catalog, clock: Clock, raw: CreateAccountInput, opts: { billingAnchorMs?: number; billingInterval?: BillingInterval; id?: string } = {}): Promise<Account> {
  const values = newAccountRow(catalog, clock, raw, opts);
  const added = await insertAccountUnlessEmailTaken(db, values);
  if ("takenBy" in added) throw new DomainError("CONFLICT", `An account with e-mail ${values.email} already exists (${added.takenBy}).`);
  return toAccount(catalog, added.row, await planModes(db));
}

export async function listAccounts(db: Store, catalog: Catalog): Promise<Account[]> {
  const modes = await planModes(db);
  return (await listAccountRows(db)).map((r) => toAccount(catalog, r, modes));
}

export async function findAccount(db: Store, catalog: Catalog, id: string): Promise<Account | undefined> {
  const row = await accountRowById(db, id);
  return row ? toAccount(catalog, row, await planModes(db)) : undefined;
}

export async function getAccount(db: Store, catalog: Catalog, id: string): Promise<Account> {
  const account = await findAccount(db, catalog, id);
  if (!account) throw new DomainError("NOT_FOUND", `No account ${id}.`);
  return account;
}
