import { Button } from "../../../ui/button";
import { Dialog, DialogClose } from "../../../ui/dialog";
import { billingDate } from "../billing-text";
import type { PlanChangeData } from "../use-billing-overview";
import { useCancelScheduled } from "../use-cancel-scheduled";
import { planName } from "./change-text";

/** Asks before cancelling a scheduled switch, saying what happens instead: the current plan simply continues. */
export function CancelChangeDialog({ target, onClose, onCancelled }: { target: PlanChangeData | null; onClose: () => void; onCancelled: (text: string) => void }) {
  const cancel = useCancelScheduled();

  function close(open: boolean) {
    if (open || cancel.isPending) return;
    cancel.reset();
    onClose();
  }

  return (
    <Dialog
      open={target !== null}
      onOpenChange={close}
      role="alertdialog"
      title={target ? `Cancel the switch to ${planName(target.toPlanId)}?` : "Cancel the switch?"}
      description={target && `You stay on ${planName(target.fromPlanId)} after ${billingDate(target.effectiveAtMs)}, at the same price. Nothing is charged or refunded.`}
    >
      {cancel.isError && <p role="alert" className="mb-4 text-sm text-rose-700">{cancel.error.message}</p>}
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <DialogClose>
          <Button variant="secondary" disabled={cancel.isPending}>Keep the switch</Button>
        </DialogClose>
        <Button
          disabled={cancel.isPending || !target}
          onClick={() =>
            target &&
            cancel.mutate(
              { planChangeId: target.id },
              {
                onSuccess: () => {
                  onCancelled(`The switch to ${planName(target.toPlanId)} is cancelled. You stay on ${planName(target.fromPlanId)}.`);
                  cancel.reset();
                  onClose();
                },
              },
            )
          }
        >
          {cancel.isPending ? "Cancelling…" : "Cancel the switch"}
        </Button>
      </div>
    </Dialog>
  );
}
