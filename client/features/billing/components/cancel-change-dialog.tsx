import { ConfirmDialog } from "../../../ui/confirm-dialog";
import { billingDate } from "../billing-text";
import type { PlanChangeData } from "../use-billing-overview";
import { useCancelScheduled } from "../use-cancel-scheduled";
import { planName } from "./change-text";

/** Asks before cancelling a scheduled switch, saying what happens instead: the current plan simply continues. */
export function CancelChangeDialog({ target, onClose, onCancelled }: { target: PlanChangeData | null; onClose: () => void; onCancelled: (text: string) => void }) {
  const cancel = useCancelScheduled();

  function close(open: boolean) {
    if (open) return;
    cancel.reset();
    onClose();
  }

  return (
    <ConfirmDialog
      open={target !== null}
      onOpenChange={close}
      title={target ? `Cancel the switch to ${planName(target.toPlanId)}?` : "Cancel the switch?"}
      description={target && `You stay on ${planName(target.fromPlanId)} after ${billingDate(target.effectiveAtMs)}, at the same price. Nothing is charged or refunded.`}
      confirmLabel="Cancel the switch"
      cancelLabel="Keep the switch"
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
              onCancelled(`The switch to ${planName(target.toPlanId)} is cancelled. You stay on ${planName(target.fromPlanId)}.`);
              cancel.reset();
              onClose();
            },
          },
        );
      }}
    />
  );
}
