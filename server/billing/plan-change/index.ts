/**
 * A plan change, confirmed with the customer's consent: check → record consent → settle → commit.
 * `confirm.ts` runs the steps; each step is its own file.
 */
export { confirmPlanChange, confirmPlanChangeAs, settlePlanChange } from "./confirm";
export { commitRemoteOutcome, commitRemoteOutcomeIn } from "./commit";
export { mustApply, settleLocally, type Repriced } from "./settle";
export { APPROVAL_CARRIES_OVER_MS, applyKeyOf, confirmPlanChangeInput, type ConfirmPlanChangeInput, type Consenter, type PlanChangeResult, type Replaced } from "./input";
