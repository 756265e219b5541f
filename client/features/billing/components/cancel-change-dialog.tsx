import type { Catalog } from "../../../../shared/catalog";
import { ConfirmDialog } from "../../../ui/confirm-dialog";
import { billingDate } from "../billing-text";
import type { PlanChangeData } from "../use-billing-overview";
import { useCancelScheduled } from "../use-cancel-scheduled";

/** Asks before cancelling a scheduled switch, saying what happens instead: the current plan simply continues. */
export function CancelChangeDialog({ catalog, target, onClose, onCancelled }: { catalog: Catalog; target: PlanChangeData | null; onClose: () => void; onCancelled: (text: string) => void }) {
  const cancel = useCancelScheduled();
  const waiting = target?.status === "pending_approval";

  function close(open: boolean) {
    if (open) return;
    cancel.reset();
    onClose();
  }

  return (
    <ConfirmDialog
      open={target !== null}
      onOpenChange={close}
      title={target ? (waiting ? `Withdraw your request to switch to ${catalog.nameOf(target.toPlanId)}?` : `Cancel the switch to ${catalog.nameOf(target.toPlanId)}?`) : "Cancel the switch?"}
      description={
        target &&
        (waiting
          ? `You stay on ${catalog.nameOf(target.fromPlanId)}, at the same price. Nothing was charged, and nothing is.`
          : `You stay on ${catalog.nameOf(target.fromPlanId)} after ${billingDate(target.effectiveAtMs)}, at the same price. Nothing is charged or refunded.`)
      }
      confirmLabel={waiting ? "Withdraw the request" : "Cancel the switch"}
      cancelLabel={waiting ? "Keep the request" : "Keep the switch"}
      pendingLabel="Cancelling…"
      pending={cancel.isPending}
      error={cancel.isError ? cancel.error.message : null}
      disabled={!target}
      onConfirm={() => {
        if (!target) return false;
        cancel.mutate(
          { planChangeId: target.id },
          {
            onSuccess: () => {
              onCancelled(`The ${waiting ? "request to switch" : "switch"} to ${catalog.nameOf(target.toPlanId)} is ${waiting ? "withdrawn" : "cancelled"}. You stay on ${catalog.nameOf(target.fromPlanId)}.`);
              cancel.reset();
              onClose();
            },
          },
        );
      }}
    />
  );
}
