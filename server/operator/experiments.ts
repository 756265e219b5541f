import { z } from "zod";
import { METRIC_IDS, METRICS } from "../../shared/experiment/metrics";
import { computeScorecard, type Criterion, type ExperimentDefinition, type Phase, type ScorecardData } from "../../shared/experiment/scorecard";
import { DAY_MS, startOfUtcDay } from "../../shared/limits";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import type { BillingContext } from "../billing/billing-context";
import { isBillingPaused } from "../billing/billing-pause";
import {
  accountsWithApprovedChanges,
  activeExperiment,
  anomaliesBetween,
  appendExperimentEvent,
  cohortAccounts,
  endExperiment,
  experimentById,
  experimentEventsOf,
  insertExperiment,
  listExperiments,
  paidInvoicesOf,
  servedPerAccountDay,
  updateExperimentBeforeStart,
  type CohortAccount,
  type ExperimentRow,
} from "../db/queries/experiments";
import { invoicesCreatedBetween, noticesOfKindsBetween, planChangesCreatedBetween, refundedFor, refundedInvoiceIds } from "../db/queries/operator";
import type { Store } from "../db/queries/store";
import { satisfactionBetween, supportRequestsBetween } from "../db/queries/support";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import { recordAudit } from "./audit-log";
import { grandfather, refundInvoice, setBillingPaused } from "./controls";
import { CAP_KINDS } from "./metrics";

/**
 * Pricing experiments: the operator writes a hypothesis with its criteria, cohort, sample and
 * phases; it can be edited until it starts, then only appended to (notes, rollback actions, its
 * end). The scorecard judges each criterion on the shared metric definitions and intervals.
 */

const BILLING_TOPICS = new Set(["plan", "bill", "limits"]);

const ratioMetrics = new Set(METRIC_IDS.filter((m) => METRICS[m].unit === "ratio"));

const criterionInput = z
  .object({
    kind: z.enum(["success", "failure"]),
    metric: z.enum(METRIC_IDS),
    comparison: z.enum(["gt", "lt"]),
    /** Ratios as fractions (0.15), money in minor units a month, NPS in points, calls per day. */
    threshold: z.number().finite(),
    afterDays: z.number().int().min(1).max(365).nullable().default(null),
  })
  .superRefine((c, ctx) => {
    if (ratioMetrics.has(c.metric) && (c.threshold < 0 || c.threshold > 1)) ctx.addIssue({ code: "custom", path: ["threshold"], message: `${METRICS[c.metric].label} is a share: its threshold lies between 0 and 1 (0.15 for 15%).` });
    if (c.metric === "nps" && (c.threshold < -100 || c.threshold > 100)) ctx.addIssue({ code: "custom", path: ["threshold"], message: "NPS runs from −100 to 100." });
    if (c.metric === "api_revenue" && !Number.isInteger(c.threshold)) ctx.addIssue({ code: "custom", path: ["threshold"], message: "Revenue thresholds are whole minor units (cents)." });
    if (c.metric === "calls_per_day" && c.threshold < 0) ctx.addIssue({ code: "custom", path: ["threshold"], message: "Calls per day cannot be negative." });
  });

const phaseInput = z.object({ name: z.string().trim().min(1).max(120), startMs: z.number().int().nonnegative(), endMs: z.number().int().positive() }).refine((p) => p.endMs > p.startMs, { message: "A phase ends after it starts.", path: ["endMs"] });

export const experimentInput = z
  .object({
    name: z.string().trim().min(1, "Name the experiment.").max(120),
    hypothesis: z.string().trim().min(1, "Write the hypothesis.").max(2000),
    startMs: z.number().int().nonnegative(),
    durationDays: z.number().int().min(1).max(365),
    cohort: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("all") }),
      z.object({ kind: z.literal("accounts"), name: z.string().trim().max(120).default(""), accountIds: z.array(z.string().min(1).max(100)).min(1, "Name at least one account.").max(10_000) }),
    ]),
    minSample: z.number().int().min(1).max(10_000_000),
    targetSample: z.number().int().min(1).max(10_000_000),
    confidencePct: z.number().int().min(50).max(99),
    criteria: z.array(criterionInput).min(1, "Add at least one criterion.").max(40),
    phases: z.array(phaseInput).max(20).default([]),
  })
  .refine((e) => e.targetSample >= e.minSample, { message: "The target sample is at least the minimum sample.", path: ["targetSample"] });
export type ExperimentInput = z.input<typeof experimentInput>;

export const ROLLBACK_ACTIONS = ["grandfather_free", "offer_opt_out", "pause_billing", "refund_affected"] as const;
export type RollbackAction = (typeof ROLLBACK_ACTIONS)[number];
export const rollbackInput = z.object({
  experimentId: z.string().min(1).max(100),
  action: z.enum(ROLLBACK_ACTIONS),
  /** The accounts the preview named: the action runs only on the same set, so what runs is what was shown. */
  accountIds: z.array(z.string().min(1).max(100)).max(100_000),
  confirm: z.literal(true),
});

export type ExperimentContext = BillingContext;

function definitionOf(row: ExperimentRow): ExperimentDefinition & { cohortName: string } {
  return {
    name: row.name,
    hypothesis: row.hypothesis,
    startMs: row.startMs,
    durationDays: row.durationDays,
    cohort: row.cohortKind === "all" ? { kind: "all" } : { kind: "accounts", accountIds: JSON.parse(row.cohortAccountIdsJson) as string[] },
    cohortName: row.cohortName,
    minSample: row.minSample,
    targetSample: row.targetSample,
    confidence: row.confidencePct / 100,
    criteria: JSON.parse(row.criteriaJson) as Criterion[],
    phases: JSON.parse(row.phasesJson) as Phase[],
  };
}

function rowFields(input: z.output<typeof experimentInput>) {
  return {
    name: input.name,
    hypothesis: input.hypothesis,
    startMs: input.startMs,
    durationDays: input.durationDays,
    cohortKind: input.cohort.kind,
    cohortAccountIdsJson: JSON.stringify(input.cohort.kind === "accounts" ? [...new Set(input.cohort.accountIds)] : []),
    cohortName: input.cohort.kind === "accounts" ? input.cohort.name : "All accounts",
    minSample: input.minSample,
    targetSample: input.targetSample,
    confidencePct: input.confidencePct,
    criteriaJson: JSON.stringify(input.criteria),
    phasesJson: JSON.stringify([...input.phases].sort((a, b) => a.startMs - b.startMs)),
  };
}

async function checkCohort(db: Store, input: z.output<typeof experimentInput>): Promise<void> {
  if (input.cohort.kind !== "accounts") return;
  const wanted = [...new Set(input.cohort.accountIds)];
  const found = new Set((await cohortAccounts(db, wanted)).map((a) => a.id));
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length) throw new DomainError("BAD_INPUT", `No such account: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}.`);
}

/** Creates the experiment; refused while another one is active (one at a time). */
export async function createExperiment(ctx: Pick<ExperimentContext, "db" | "clock">, raw: ExperimentInput, actor: string): Promise<{ id: string }> {
  const input = experimentInput.parse(raw);
  await checkCohort(ctx.db, input);
  const now = ctx.clock.now();
  const id = newId("exp");
  const fields = rowFields(input);
  const done = await insertExperiment(ctx.db, { id, ...fields, createdAtMs: now, createdBy: actor, updatedAtMs: now }, { id: newId("exe"), experimentId: id, atMs: now, actor, kind: "created", details: { definition: input } });
  if (done === "conflict") {
    const active = await activeExperiment(ctx.db);
    throw new DomainError("CONFLICT", `“${active?.name ?? "Another experiment"}” is active: end it before starting another (one experiment runs at a time).`);
  }
  await recordAudit(ctx.db, ctx.clock, { actor, action: "experiment.created", details: { experimentId: id, name: input.name } });
  return { id };
}

/** Replaces the definition of an experiment that has not started; what changed goes into its trail. */
export async function editExperiment(ctx: Pick<ExperimentContext, "db" | "clock">, id: string, raw: ExperimentInput, actor: string): Promise<{ id: string }> {
  const input = experimentInput.parse(raw);
  await checkCohort(ctx.db, input);
  const now = ctx.clock.now();
  const before = await experimentById(ctx.db, id);
  if (!before) throw new DomainError("NOT_FOUND", "No such experiment.");
  const fields = rowFields(input);
  const changed = (Object.keys(fields) as Array<keyof typeof fields>).filter((k) => fields[k] !== before[k]);
  const done = await updateExperimentBeforeStart(ctx.db, id, fields, now, { id: newId("exe"), experimentId: id, atMs: now, actor, kind: "edited", details: { changed, definition: input } });
  if (done === "not_found") throw new DomainError("NOT_FOUND", "No such experiment.");
  if (done === "started") throw new DomainError("PRECONDITION_FAILED", `“${before.name}” started on ${formatDateUtc(before.startMs)}: its definition is fixed. Add a note to its trail instead.`);
  await recordAudit(ctx.db, ctx.clock, { actor, action: "experiment.edited", details: { experimentId: id, changed } });
  return { id };
}

export const noteInput = z.object({ experimentId: z.string().min(1).max(100), text: z.string().trim().min(1, "Write the note.").max(2000) });

/** Appends a note to the experiment's trail (the only change after its start, besides ending it). */
export async function addExperimentNote(ctx: Pick<ExperimentContext, "db" | "clock">, raw: z.input<typeof noteInput>, actor: string): Promise<void> {
  const input = noteInput.parse(raw);
  if (!(await experimentById(ctx.db, input.experimentId))) throw new DomainError("NOT_FOUND", "No such experiment.");
  await appendExperimentEvent(ctx.db, { id: newId("exe"), experimentId: input.experimentId, atMs: ctx.clock.now(), actor, kind: "note", details: { text: input.text } });
}

/** Ends the experiment now: it stays readable, and another can be created. */
export async function endExperimentNow(ctx: Pick<ExperimentContext, "db" | "clock">, id: string, actor: string): Promise<void> {
  const now = ctx.clock.now();
  const done = await endExperiment(ctx.db, id, now, { id: newId("exe"), experimentId: id, atMs: now, actor, kind: "ended", details: {} });
  if (done === "not_found") throw new DomainError("NOT_FOUND", "No such experiment.");
  if (done === "ended") await recordAudit(ctx.db, ctx.clock, { actor, action: "experiment.ended", details: { experimentId: id } });
}

/** Every experiment, newest first, with its state. */
export async function experimentList(ctx: Pick<ExperimentContext, "db" | "clock">) {
  const now = ctx.clock.now();
  return (await listExperiments(ctx.db)).map((r) => ({ id: r.id, name: r.name, startMs: r.startMs, durationDays: r.durationDays, state: stateOf(r, now), endedAtMs: r.endedAtMs }));
}

function stateOf(row: ExperimentRow, now: number): "scheduled" | "running" | "finished" | "ended" {
  if (row.endedAtMs !== null) return "ended";
  if (now < row.startMs) return "scheduled";
  return now < row.startMs + row.durationDays * DAY_MS ? "running" : "finished";
}

async function cohortOf(db: Store, def: ExperimentDefinition): Promise<CohortAccount[]> {
  return cohortAccounts(db, def.cohort.kind === "all" ? null : def.cohort.accountIds);
}

/** What happened in the cohort over the window (and the 14 days before it, for churn). */
async function scorecardData(ctx: ExperimentContext, def: ExperimentDefinition, cohort: CohortAccount[], nowMs: number): Promise<ScorecardData> {
  const { db, catalog } = ctx;
  const ids = cohort.map((a) => a.id);
  const inCohort = new Set(ids);
  const from = def.startMs;
  const to = Math.max(from, Math.min(nowMs, def.startMs + def.durationDays * DAY_MS));
  // A plan the catalog no longer holds counts at no price, as on the Metrics page.
  const price = (id: string) => catalog.find(id)?.priceMinor ?? 0;
  const invoiceRows = (await invoicesCreatedBetween(db, from, to)).filter((i) => inCohort.has(i.accountId));
  const refunded = new Set(await refundedInvoiceIds(db, invoiceRows));
  const approved = new Set(await accountsWithApprovedChanges(db, ids));
  return {
    accountIds: ids,
    capNotices: (await noticesOfKindsBetween(db, CAP_KINDS, from, to)).filter((n) => inCohort.has(n.accountId)).map((n) => ({ accountId: n.accountId, atMs: n.createdAtMs })),
    planChanges: (await planChangesCreatedBetween(db, from, to))
      .filter((c) => inCohort.has(c.accountId) && c.status === "applied" && c.kind === "plan_change")
      .map((c) => ({ accountId: c.accountId, atMs: c.createdAtMs, upgrade: price(c.toPlanId) > price(c.fromPlanId), cancel: price(c.fromPlanId) > 0 && price(c.toPlanId) === 0 })),
    invoices: invoiceRows.map((i) => ({ id: i.id, accountId: i.accountId, atMs: i.createdAtMs, status: i.status, totalMinor: i.totalMinor, kind: i.kind, refunded: refunded.has(i.id) })),
    servedDays: await servedPerAccountDay(db, ids, startOfUtcDay(from) - 14 * DAY_MS, to),
    satisfaction: (await satisfactionBetween(db, from, to)).filter((s) => inCohort.has(s.accountId)).map((s) => ({ atMs: s.createdAtMs, score: s.score })),
    // Billing support: requests about the plan, the bill or the limits ("other" is not the experiment's).
    support: (await supportRequestsBetween(db, from, to)).filter((s) => inCohort.has(s.accountId) && BILLING_TOPICS.has(s.topic)).map((s) => ({ createdAtMs: s.createdAtMs, repliedAtMs: s.repliedAtMs })),
    anomalies: (await anomaliesBetween(db, from, to)).filter((a) => inCohort.has(a.accountId)),
    unapprovedOverCap: invoiceRows.filter((i) => i.kind !== "credit_note" && i.totalMinor > ctx.billingCapMinor && !approved.has(i.accountId)).map((i) => ({ accountId: i.accountId, atMs: i.createdAtMs, invoiceId: i.id })),
    currency: catalog.currency,
  };
}

/**
 * The experiment (the active one when no id is given) with its scorecard and trail; null when
 * there is none.
 */
export async function experimentReport(ctx: ExperimentContext, id?: string) {
  const row = id ? await experimentById(ctx.db, id) : ((await activeExperiment(ctx.db)) ?? (await listExperiments(ctx.db))[0]);
  if (!row) {
    if (id) throw new DomainError("NOT_FOUND", "No such experiment.");
    return null;
  }
  const now = ctx.clock.now();
  const def = definitionOf(row);
  const cohort = await cohortOf(ctx.db, def);
  // An experiment ended early is judged on its window up to its end.
  const asOf = row.endedAtMs ?? now;
  const scorecard = computeScorecard(def, await scorecardData(ctx, def, cohort, asOf), asOf);
  return {
    experiment: { id: row.id, ...def, state: stateOf(row, now), editable: stateOf(row, now) === "scheduled", createdAtMs: row.createdAtMs, createdBy: row.createdBy, endedAtMs: row.endedAtMs, cohortSize: cohort.length },
    scorecard,
    events: await experimentEventsOf(ctx.db, row.id),
    generatedAtMs: now,
  };
}

export type ExperimentReport = NonNullable<Awaited<ReturnType<typeof experimentReport>>>;

// ---- the rollback plan ----------------------------------------------------------------------

export interface RollbackPreview {
  action: RollbackAction;
  title: string;
  /** What running it does, sentence by sentence. */
  effects: string[];
  /** The accounts it touches, each with what happens to it. */
  accounts: Array<{ id: string; name: string; detail: string }>;
  /** Nothing to do (every account is already covered, billing already paused, nothing to refund). */
  nothingToDo: boolean;
}

const GRANDFATHER_DAYS = 30;

async function rollbackPlan(ctx: ExperimentContext, experimentId: string, action: RollbackAction) {
  const row = await experimentById(ctx.db, experimentId);
  if (!row) throw new DomainError("NOT_FOUND", "No such experiment.");
  const def = definitionOf(row);
  const cohort = await cohortOf(ctx.db, def);
  const now = ctx.clock.now();
  const price = (id: string) => ctx.catalog.find(id)?.priceMinor ?? 0;
  const paying = cohort.filter((a) => price(a.planId) > 0);
  const planName = (id: string) => ctx.catalog.find(id)?.name ?? id;
  const money = (minor: number) => formatMoney(minor, ctx.catalog.currency);

  switch (action) {
    case "grandfather_free": {
      const until = startOfUtcDay(now) + (GRANDFATHER_DAYS + 1) * DAY_MS;
      const touched = cohort.filter((a) => price(a.planId) > 0 && (a.grandfatheredUntilMs ?? 0) < until);
      return {
        row,
        until,
        preview: {
          action,
          title: `Grandfather existing users on free terms for ${GRANDFATHER_DAYS} days`,
          effects: [
            `Each account below keeps its plan free of charge, with no cap enforced, until ${formatDateUtc(until)}.`,
            "Each gets a notice (portal and e-mail) saying so; nothing else about the account changes.",
            "Grandfathering can be ended any time from the account's page.",
          ],
          accounts: touched.map((a) => ({ id: a.id, name: a.name, detail: `${planName(a.planId)}, ${money(price(a.planId))}/month → free until ${formatDateUtc(until)}` })),
          nothingToDo: touched.length === 0,
        } satisfies RollbackPreview,
      };
    }
    case "offer_opt_out": {
      const free = ctx.catalog.freePlan;
      return {
        row,
        preview: {
          action,
          title: `Offer every paying customer the opt-out to ${free?.name ?? "a free plan"}`,
          effects: free
            ? [`Each account below gets a notice (portal and e-mail): it can move to ${free.name} at any time from its Plans page, at no charge.`, "Nothing changes until the customer chooses to; each account is told once per experiment."]
            : ["The catalog has no free public plan to offer."],
          accounts: free ? paying.map((a) => ({ id: a.id, name: a.name, detail: `${planName(a.planId)} → may move to ${free.name}` })) : [],
          nothingToDo: !free || paying.length === 0,
        } satisfies RollbackPreview,
      };
    }
    case "pause_billing": {
      const paused = await isBillingPaused(ctx.db);
      return {
        row,
        preview: {
          action,
          title: "Pause billing",
          effects: paused
            ? ["Billing is paused already."]
            : ["Every new invoice, for every account of the installation, is queued instead of charged until billing resumes (Enforcement page).", "Resuming collects the queued invoices."],
          accounts: paused ? [] : paying.map((a) => ({ id: a.id, name: a.name, detail: `${planName(a.planId)}: next invoices queued` })),
          nothingToDo: paused,
        } satisfies RollbackPreview,
      };
    }
    case "refund_affected": {
      // Affected: charges a guardrail flagged (a bill over twice the previous one, or over the cap without approval).
      const end = Math.min(now, def.startMs + def.durationDays * DAY_MS);
      const ids = cohort.map((a) => a.id);
      const flagged = new Set((await anomaliesBetween(ctx.db, def.startMs, end)).map((a) => a.invoiceId));
      const approved = new Set(await accountsWithApprovedChanges(ctx.db, ids));
      const invoices: Array<{ id: string; number: string; accountId: string; leftMinor: number }> = [];
      for (const i of await paidInvoicesOf(ctx.db, ids, def.startMs, end)) {
        if (!flagged.has(i.id) && !(i.totalMinor > ctx.billingCapMinor && !approved.has(i.accountId))) continue;
        const left = i.totalMinor - (await refundedFor(ctx.db, i));
        if (left > 0) invoices.push({ id: i.id, number: i.number, accountId: i.accountId, leftMinor: left });
      }
      const name = new Map(cohort.map((a) => [a.id, a.name]));
      return {
        row,
        invoices,
        preview: {
          action,
          title: "Refund the affected invoices",
          effects: [
            "Each invoice below is refunded in full (what is left of it) as a credit note; with Stripe, the money goes back to the card first.",
            "Affected: bills more than twice the previous period's, and charges above the approval cap nobody approved, since the start.",
            "Each customer gets a refund notice. Running it again refunds nothing twice.",
          ],
          accounts: invoices.map((i) => ({ id: i.accountId, name: name.get(i.accountId) ?? i.accountId, detail: `${i.number}: refund ${money(i.leftMinor)}` })),
          nothingToDo: invoices.length === 0,
        } satisfies RollbackPreview,
      };
    }
  }
}

/** What a rollback action would do and to whom; nothing runs. */
export async function previewRollback(ctx: ExperimentContext, experimentId: string, action: RollbackAction): Promise<RollbackPreview> {
  return (await rollbackPlan(ctx, experimentId, action)).preview;
}

/**
 * Runs a rollback action the operator confirmed, on exactly the accounts its preview named
 * (CONFLICT when they changed since), through the console's own verbs (grandfathering, notices,
 * the billing pause, refunds), each audited, and records it in the experiment's trail.
 */
export async function runRollback(ctx: ExperimentContext, raw: z.input<typeof rollbackInput>, actor: string) {
  const input = rollbackInput.parse(raw);
  const plan = await rollbackPlan(ctx, input.experimentId, input.action);
  const shown = [...new Set(input.accountIds)].sort();
  const now = [...new Set(plan.preview.accounts.map((a) => a.id))].sort();
  if (shown.join() !== now.join()) throw new DomainError("CONFLICT", "The accounts this action touches changed since its preview: look at the preview again before running it.");
  if (plan.preview.nothingToDo) throw new DomainError("PRECONDITION_FAILED", "Nothing to do: " + (plan.preview.effects[0] ?? ""));
  let result: Record<string, unknown>;
  switch (input.action) {
    case "grandfather_free":
      result = await grandfather(ctx, { accountIds: now, untilMs: plan.until! }, actor);
      break;
    case "offer_opt_out": {
      const free = ctx.catalog.freePlan!;
      let told = 0;
      for (const a of plan.preview.accounts) {
        const raised = await raiseAccountNotice(ctx.notify, {
          accountId: a.id,
          planId: free.id,
          ref: `experiment-opt-out:${plan.row.id}`,
          facts: { kind: "terms", planName: free.name, severity: "info", title: `You can move to ${free.name} at any time`, text: `We are changing how plans are billed. If the new terms do not suit you, you can move to the ${free.name} plan at any time from your Plans page, at no charge.` },
        });
        if (raised) told++;
      }
      await recordAudit(ctx.db, ctx.clock, { actor, action: "experiment.opt_out_offered", details: { experimentId: plan.row.id, accounts: now.length, told } });
      result = { told };
      break;
    }
    case "pause_billing":
      result = await setBillingPaused(ctx, true, actor);
      break;
    case "refund_affected": {
      const refunds = [];
      for (const i of plan.invoices!) {
        refunds.push({ invoice: i.number, ...(await refundInvoice(ctx, { invoiceId: i.id, reason: `pricing experiment “${plan.row.name}” rolled back`, requestId: `rollback-${plan.row.id}-${i.id}` }, actor)) });
      }
      result = { refunds };
      break;
    }
  }
  await appendExperimentEvent(ctx.db, { id: newId("exe"), experimentId: plan.row.id, atMs: ctx.clock.now(), actor, kind: `rollback.${input.action}`, details: { accounts: now, result } });
  await recordAudit(ctx.db, ctx.clock, { actor, action: "experiment.rollback", details: { experimentId: plan.row.id, action: input.action, accounts: now.length } });
  return { action: input.action, accounts: now.length, result };
}
