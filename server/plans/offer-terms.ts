import { z } from "zod";
import { newTermsNotice } from "../../shared/messages";
import { termsLine } from "../../shared/plan-terms";
import type { BillingContext } from "../billing/billing-context";
import { accountIdsOnPlanVersion } from "../db/queries/catalog";
import { DomainError } from "../lib/domain-error";
import { raiseAccountNotice } from "../notify/account-notices";
import { recordAudit } from "../operator/audit-log";

export const offerTermsInput = z.object({ planId: z.string().min(1).max(40), version: z.number().int().min(1) });

/**
 * Tells every account on an older version of a plan about the plan's current terms: one notice each
 * (once per version offered), with both versions in words and a way to take the new ones in the
 * wizard. Nothing about the accounts changes: a version is left only with the customer's consent.
 */
export async function offerCurrentTerms(ctx: Pick<BillingContext, "db" | "clock" | "catalog" | "notify">, raw: z.input<typeof offerTermsInput>, actor: string): Promise<{ told: number }> {
  const input = offerTermsInput.parse(raw);
  const current = ctx.catalog.find(input.planId);
  if (!current) throw new DomainError("BAD_INPUT", `There is no plan "${input.planId}" in the catalog.`);
  if (input.version >= current.version) throw new DomainError("BAD_INPUT", `Version ${input.version} is the ${current.name} plan's current one: there are no newer terms to offer.`);
  if (!ctx.catalog.versionsOf(input.planId).some((v) => v.version === input.version)) throw new DomainError("NOT_FOUND", `The ${current.name} plan has no version ${input.version}.`);
  const kept = ctx.catalog.planAt(input.planId, input.version);
  const words = newTermsNotice(current.name, termsLine(kept, ctx.catalog), termsLine(current, ctx.catalog));
  const accountIds = await accountIdsOnPlanVersion(ctx.db, input.planId, input.version);
  let told = 0;
  for (const accountId of accountIds) {
    const raised = await raiseAccountNotice(ctx.notify, { accountId, planId: current.id, ref: `terms:${current.id}@${input.version}->${current.version}`, facts: { kind: "terms", planName: current.name, severity: "info", ...words } });
    if (raised) told++;
  }
  await recordAudit(ctx.db, ctx.clock, { actor, action: "plan_terms.offered", details: { planId: current.id, fromVersion: input.version, toVersion: current.version, accounts: accountIds.length, told } });
  return { told };
}
