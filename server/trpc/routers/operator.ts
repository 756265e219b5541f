import { z } from "zod";
import { DAY_MS, startOfUtcDay } from "../../../shared/limits";
import { getAccount, listAccounts } from "../../accounts/accounts";
import { billingOverview } from "../../billing/billing-overview";
import { decideApproval, decideApprovalInput, pendingApprovals } from "../../billing/manage-changes";
import { recentQuotes } from "../../billing/quote";
import { consoleLists } from "../../operator/console-lists";
import { getUsageHistory } from "../../metering/usage-history";
import { getUsageOverview } from "../../metering/usage-summary";
import { listNotices } from "../../notify/notices";
import { listAudit } from "../../operator/audit-log";
import { acknowledgeAnomaly, billingPaused, grandfather, grandfatherInput, queuedInvoices, refundInput, refundInvoice, setBillingPaused } from "../../operator/controls";
import { enforcementReadiness, enforcementTarget, setEnforcement, setEnforcementInput } from "../../operator/enforcement";
import { lifecycleMetrics } from "../../operator/metrics";
import {
  addExperimentNote,
  createExperiment,
  editExperiment,
  endExperimentNow,
  experimentInput,
  experimentList,
  experimentReport,
  noteInput,
  previewRollback,
  ROLLBACK_ACTIONS,
  rollbackInput,
  runRollback,
} from "../../operator/experiments";
import { shadowAudit } from "../../operator/shadow-audit";
import { replySupportRequest, supportQueue, supportReplyInput } from "../../operator/support";
import { catalogOverview } from "../../plans/catalog-check";
import { offerCurrentTerms, offerTermsInput } from "../../plans/offer-terms";
import { operatorProcedure, router } from "../trpc";
import { operatorActor } from "../../auth/sign-in";
import type { Deps } from "../../deps";

/** At most about 13 months at once: enough for any report, small enough to answer at once. */
const MAX_RANGE_MS = 400 * DAY_MS;
const range = z
  .object({ fromMs: z.number().int().nonnegative().optional(), toMs: z.number().int().positive().max(8_640_000_000_000).optional() })
  .refine((r) => r.fromMs === undefined || r.toMs === undefined || (r.fromMs < r.toMs && r.toMs - r.fromMs <= MAX_RANGE_MS), {
    message: "The range must start before it ends and span at most 400 days.",
  });
const resolveRange = (deps: Deps, r: z.infer<typeof range>, days: number) => {
  const toMs = r.toMs ?? deps.clock.now();
  // "N days" are N UTC days, today's included (as the console asks for them); a lone bound is clamped too: the
  // window never spans more than MAX_RANGE_MS.
  const fromMs = Math.max(r.fromMs ?? startOfUtcDay(toMs) - (days - 1) * DAY_MS, toMs - MAX_RANGE_MS);
  return { fromMs, toMs };
};
const enforcementCtx = (deps: Deps) => ({ db: deps.db, catalog: deps.catalog, clock: deps.clock, meter: deps.meter, feed: deps.feed, detector: deps.detector, graceMs: deps.config.ENFORCEMENT_GRACE_HOURS * 3_600_000 });

export const operatorRouter = router({
  /** Every account with its plan, mode and today's counts. */
  accounts: operatorProcedure.query(async ({ ctx }) => {
    const now = ctx.deps.clock.now();
    return Promise.all((await listAccounts(ctx.deps.db, ctx.deps.catalog)).map(async (a) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      planId: a.plan.id,
      planName: a.plan.name,
      enforcement: a.enforcement,
      ownMode: a.ownMode,
      grandfatheredUntilMs: a.grandfatheredUntilMs,
      today: (await getUsageOverview(ctx.deps.db, ctx.deps.meter, a, now)).today,
    })));
  }),

  /** Accounts over any cap in a range (default the last 7 days), optionally for one plan. */
  shadowAudit: operatorProcedure.input(range.and(z.object({ planId: z.string().max(40).optional() }))).query(async ({ ctx, input }) => {
    const r = resolveRange(ctx.deps, input, 7);
    return { ...r, rows: await shadowAudit(ctx.deps.db, ctx.deps.catalog, ctx.deps.meter, ctx.deps.advisor, { ...r, planId: input.planId }) };
  }),

  /** One account as the customer sees it, plus what only operators see. */
  account: operatorProcedure.input(z.object({ accountId: z.string().min(1).max(100) })).query(async ({ ctx, input }) => {
    const { db, clock, meter } = ctx.deps;
    const account = await getAccount(db, ctx.deps.catalog, input.accountId);
    const now = clock.now();
    return {
      account: { id: account.id, name: account.name, email: account.email, planId: account.plan.id, planName: account.plan.name, enforcement: account.enforcement, grandfatheredUntilMs: account.grandfatheredUntilMs, overageOptIn: account.overageOptIn, createdAtMs: account.createdAtMs },
      overview: await getUsageOverview(db, meter, account, now),
      history: await getUsageHistory(db, account, now, meter.meters.all),
      notices: (await listNotices(ctx.deps.notify, account.id, 50)).map((n) => ({ id: n.id, kind: n.kind, createdAtMs: n.createdAtMs, deliveredAtMs: n.deliveredAtMs, title: n.message.title })),
      quotes: (await recentQuotes(db, account.id)).map((q) => ({ id: q.id, kind: q.kind, fromPlanId: q.fromPlanId, toPlanId: q.toPlanId, amountDueNowMinor: q.amountDueNowMinor, recurringMinor: q.recurringMinor, currency: q.currency, createdAtMs: q.createdAtMs, expiresAtMs: q.expiresAtMs })),
      billing: await billingOverview(db, ctx.deps.catalog, account.id, now),
      audit: await listAudit(db, { accountId: account.id, limit: 100 }),
    };
  }),

  enforcementReadiness: operatorProcedure.input(enforcementTarget).query(({ ctx, input }) => enforcementReadiness(enforcementCtx(ctx.deps), input)),

  /** Flips a plan or a cohort; enforce sends every account that would be refused its notice first. */
  setEnforcement: operatorProcedure.input(setEnforcementInput).mutation(({ ctx, input }) => setEnforcement(enforcementCtx(ctx.deps), input, operatorActor(ctx.session))),

  grandfather: operatorProcedure.input(grandfatherInput).mutation(({ ctx, input }) =>
    grandfather(ctx.deps.billing, input, operatorActor(ctx.session)),
  ),

  /** Where this instance counts calls: with Redis, whether it is reachable (else calls are counted here until it is). */
  counterStatus: operatorProcedure.query(({ ctx }) => ctx.deps.meter.counterStatus()),
  billingStatus: operatorProcedure.query(async ({ ctx }) => ({ paused: await billingPaused(ctx.deps.billing), queuedInvoices: await queuedInvoices(ctx.deps.billing), provider: ctx.deps.billing.provider.name })),
  setBillingPaused: operatorProcedure.input(z.object({ paused: z.boolean() })).mutation(({ ctx, input }) => setBillingPaused(ctx.deps.billing, input.paused, operatorActor(ctx.session))),

  invoices: operatorProcedure.input(z.object({ accountId: z.string().min(1).max(100).optional() })).query(({ ctx, input }) => consoleLists.invoices(ctx.deps.db, input)),
  refund: operatorProcedure.input(refundInput).mutation(({ ctx, input }) => refundInvoice(ctx.deps.billing, input, operatorActor(ctx.session))),

  approvals: operatorProcedure.query(async ({ ctx }) =>
    Promise.all((await pendingApprovals(ctx.deps.billing)).map(async (r) => {
      const account = await getAccount(ctx.deps.db, ctx.deps.catalog, r.plan_changes.accountId);
      return {
        id: r.approval_requests.id,
        accountId: account.id,
        accountName: account.name,
        fromPlanId: r.plan_changes.fromPlanId,
        toPlanId: r.plan_changes.toPlanId,
        amountDueNowMinor: r.quotes.amountDueNowMinor,
        recurringMinor: r.quotes.recurringMinor,
        projectedMonthlyMinor: r.approval_requests.projectedMonthlyMinor,
        billingCapMinor: r.approval_requests.billingCapMinor,
        currency: r.quotes.currency,
        consentText: r.quotes.consentText,
        createdAtMs: r.approval_requests.createdAtMs,
        usage: (await getUsageOverview(ctx.deps.db, ctx.deps.meter, account, ctx.deps.clock.now())).limits,
      };
    })),
  ),
  decideApproval: operatorProcedure.input(decideApprovalInput).mutation(async ({ ctx, input }) => {
    return decideApproval(ctx.deps.billing, input, operatorActor(ctx.session));
  }),

  /** The catalog in use: each plan with its versions and how many accounts are on each, and what the last file loaded changed. */
  catalog: operatorProcedure.query(({ ctx }) => catalogOverview(ctx.deps.db, ctx.deps.catalog)),

  /** Tells the accounts on an older version of a plan about its current terms (they change nothing without consent). */
  offerCurrentTerms: operatorProcedure.input(offerTermsInput).mutation(({ ctx, input }) => offerCurrentTerms(ctx.deps.billing, input, operatorActor(ctx.session))),

  anomalies: operatorProcedure.input(z.object({ includeAcknowledged: z.boolean().default(false) })).query(({ ctx, input }) => consoleLists.anomalies(ctx.deps.db, input)),
  acknowledgeAnomaly: operatorProcedure.input(z.object({ anomalyId: z.string().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    await acknowledgeAnomaly(ctx.deps.billing, input.anomalyId, operatorActor(ctx.session));
    return { acknowledged: true as const };
  }),

  support: operatorProcedure.query(({ ctx }) => supportQueue(ctx.deps.db, ctx.deps.clock.now())),
  replySupport: operatorProcedure.input(supportReplyInput).mutation(({ ctx, input }) => replySupportRequest({ db: ctx.deps.db, clock: ctx.deps.clock, notify: ctx.deps.notify }, input, operatorActor(ctx.session))),

  metrics: operatorProcedure.input(range).query(({ ctx, input }) => lifecycleMetrics(ctx.deps.db, ctx.deps.catalog, { ...resolveRange(ctx.deps, input, 30), nowMs: ctx.deps.clock.now() })),

  /** Pricing experiments, newest first. */
  experiments: operatorProcedure.query(({ ctx }) => experimentList(ctx.deps.billing)),
  /** An experiment (the active one without an id) with its scorecard and trail; null when there is none. */
  experiment: operatorProcedure.input(z.object({ id: z.string().min(1).max(100).optional() })).query(({ ctx, input }) => experimentReport(ctx.deps.billing, input.id)),
  createExperiment: operatorProcedure.input(experimentInput).mutation(({ ctx, input }) => createExperiment(ctx.deps.billing, input, operatorActor(ctx.session))),
  /** Until it starts; then its definition is fixed and only notes are appended. */
  editExperiment: operatorProcedure.input(z.object({ id: z.string().min(1).max(100), definition: experimentInput })).mutation(({ ctx, input }) => editExperiment(ctx.deps.billing, input.id, input.definition, operatorActor(ctx.session))),
  addExperimentNote: operatorProcedure.input(noteInput).mutation(async ({ ctx, input }) => {
    await addExperimentNote(ctx.deps.billing, input, operatorActor(ctx.session));
    return { added: true as const };
  }),
  endExperiment: operatorProcedure.input(z.object({ id: z.string().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    await endExperimentNow(ctx.deps.billing, input.id, operatorActor(ctx.session));
    return { ended: true as const };
  }),
  /** What a rollback action would do and to which accounts; runs nothing. */
  previewRollback: operatorProcedure.input(z.object({ experimentId: z.string().min(1).max(100), action: z.enum(ROLLBACK_ACTIONS) })).query(({ ctx, input }) => previewRollback(ctx.deps.billing, input.experimentId, input.action)),
  runRollback: operatorProcedure.input(rollbackInput).mutation(({ ctx, input }) => runRollback(ctx.deps.billing, input, operatorActor(ctx.session))),

  /** E-mails as sent (or, without SMTP, as they would have been), rendered. */
  outbox: operatorProcedure
    .input(z.object({ accountId: z.string().max(100).optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => consoleLists.outbox(ctx.deps.db, input)),

  audit: operatorProcedure
    .input(z.object({ accountId: z.string().max(100).optional(), action: z.string().max(60).optional(), fromMs: z.number().int().optional(), toMs: z.number().int().optional(), limit: z.number().int().min(1).max(1000).default(200) }))
    .query(({ ctx, input }) => listAudit(ctx.deps.db, input)),
  /** Dodo's usage totals of the account's current period against what Headroom sent it; null when Dodo does not bill. */
  dodoUsage: operatorProcedure.input(z.object({ accountId: z.string().min(1).max(100) })).query(async ({ ctx, input }) => (ctx.deps.dodo ? await ctx.deps.dodo.usageReconciliation(input.accountId) : null)),
  stripeStatus: operatorProcedure.query(async ({ ctx }) => (await ctx.deps.stripe?.status()) ?? { enabled: false as const }),
});
