import { useId, useState } from "react";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import type { ApprovalData } from "../console-data";
import { useDecideApproval } from "./use-decide-approval";

export interface Decision {
  request: ApprovalData;
  approve: boolean;
}

/** Approve or deny a change over the billing cap; a denial needs a reason, which the customer is told. */
export function DecideDialog({ catalog, decision, onClose, onDone }: { catalog: Catalog; decision: Decision | null; onClose: () => void; onDone: (message: string) => void }) {
  const decide = useDecideApproval();
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const reasonId = useId();
  const hintId = useId();
  const errorId = useId();

  const r = decision?.request;
  const approve = decision?.approve ?? true;
  const money = (m: number) => formatMoney(m, r?.currency ?? "USD");
  const change = r ? `${catalog.nameOf(r.fromPlanId)} → ${catalog.nameOf(r.toPlanId)}` : "";
  const reasonProblem = !approve && reason.trim().length < 3 ? "Say why (at least 3 characters): the customer is told." : null;

  function close(open: boolean) {
    if (open || decide.isPending) return;
    decide.reset();
    setReason("");
    setTouched(false);
    onClose();
  }

  function confirm() {
    if (!r) return false;
    setTouched(true);
    if (reasonProblem) return false;
    decide.mutate(
      { requestId: r.id, approve, ...(approve ? {} : { reason: reason.trim() }) },
      {
        onSuccess: (res) => {
          onDone(
            res.status === "approved"
              ? `Approved: ${r.accountName} moves ${change}, with the amounts the customer agreed to. The customer has been notified.`
              : res.status === "denied"
                ? `Denied: ${r.accountName} stays on ${catalog.nameOf(r.fromPlanId)}. Nothing was charged; the customer has been told why.`
                : `Approved. ${r.accountName}'s price moved since the consent (it is priced when applied), so nothing was charged: the customer is asked to confirm the new price, with no second approval needed.`,
          );
          decide.reset();
          setReason("");
          setTouched(false);
          onClose();
        },
      },
    );
  }

  return (
    <ConfirmDialog
      open={decision !== null}
      onOpenChange={close}
      title={r ? `${approve ? "Approve" : "Deny"} ${r.accountName}'s switch to ${catalog.nameOf(r.toPlanId)}?` : "Decide"}
      confirmLabel={approve ? "Approve" : "Deny the switch"}
      pendingLabel={approve ? "Approving…" : "Denying…"}
      tone={approve ? "primary" : "danger"}
      pending={decide.isPending}
      error={decide.isError ? decide.error.message : null}
      onConfirm={confirm}
      testId="decide-confirmation"
    >
      {r && approve && (
        <Consequences
          items={[
            <>
              The switch {change} is priced again now. If the price is still the one the customer consented to (<strong className="font-semibold">{money(r.amountDueNowMinor)}</strong> now, then{" "}
              {money(r.recurringMinor)} a month), it is applied at once.
            </>,
            <>
              Projected {money(r.projectedMonthlyMinor)} a month with usage, {money(r.projectedMonthlyMinor - r.billingCapMinor)} over the {money(r.billingCapMinor)} billing cap.
            </>,
            "If it moved (a prorated price falls as the period runs out) or the account changed, nothing is charged: the customer confirms the new price, and needs no second approval for 7 days.",
            "The customer is notified.",
          ]}
        />
      )}
      {r && !approve && (
        <>
          <Consequences items={[`${r.accountName} stays on ${catalog.nameOf(r.fromPlanId)}; nothing is charged.`, "The customer is notified with your reason."]} />
          <label htmlFor={reasonId} className="mt-4 block text-sm font-medium text-slate-800">Reason (required)</label>
          <textarea
            id={reasonId}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            rows={3}
            maxLength={1000}
            required
            aria-invalid={touched && reasonProblem ? true : undefined}
            aria-describedby={touched && reasonProblem ? `${hintId} ${errorId}` : hintId}
            placeholder="This plan needs a signed order form first; we will contact you."
            className="mt-1.5 w-full rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900 placeholder:text-slate-500 aria-[invalid=true]:border-rose-500"
          />
          <p id={hintId} className="mt-1 text-xs text-slate-600">Sent to the customer as written.</p>
          {touched && reasonProblem && <p id={errorId} className="mt-1 text-sm text-rose-700">{reasonProblem}</p>}
        </>
      )}
    </ConfirmDialog>
  );
}
