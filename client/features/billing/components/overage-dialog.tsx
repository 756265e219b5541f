import { useEffect, useRef } from "react";
import { Button } from "../../../ui/button";
import { Dialog, DialogClose } from "../../../ui/dialog";
import { LoadingBlock } from "../../../ui/states";
import { describeBillingError } from "../billing-errors";
import { localExpiresAt } from "../billing-text";
import { acceptedOf, useConfirmQuote } from "../use-confirm-quote";
import { usePreviewOverage } from "../use-preview-overage";
import { ConsentForm } from "./consent-form";

/**
 * Turning overage billing on or off is a consent like a plan change: it opens with a quote, shows
 * its words next to an "I agree" box, and confirms exactly that quote. Mount it to open it: each
 * opening gets a fresh quote.
 */
export function OverageDialog({ optIn, onClose, onDone }: { optIn: boolean; onClose: () => void; onDone: (text: string) => void }) {
  const preview = usePreviewOverage();
  const confirm = useConfirmQuote();
  const asked = useRef(false);
  const { mutate } = preview;

  useEffect(() => {
    // Once per opening, also under StrictMode's double effects.
    if (asked.current) return;
    asked.current = true;
    mutate({ optIn });
  }, [mutate, optIn]);

  function close(next: boolean) {
    if (next || confirm.isPending) return;
    onClose();
  }

  const quote = preview.data;
  const title = optIn ? "Turn on overage billing" : "Turn off overage billing";
  return (
    <Dialog
      open
      onOpenChange={close}
      title={title}
      description={
        optIn
          ? "Instead of being limited at your monthly quota, calls beyond it are served and billed with your monthly invoice. Nothing is charged now."
          : "Calls beyond your monthly quota are limited again instead of billed. Nothing is charged now."
      }
    >
      {preview.isPending && <LoadingBlock rows={1} label="Getting the terms…" />}
      {preview.isError && (
        <div role="alert" className="rounded-lg border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900">
          <p>{describeBillingError(preview.error, "preview").message}</p>
          <Button variant="secondary" className="mt-2" onClick={() => preview.mutate({ optIn })}>Try again</Button>
        </div>
      )}
      {quote && !preview.isPending && (
        <ConsentForm
          key={quote.id}
          consentText={quote.consentText}
          confirmLabel={title}
          pendingLabel={optIn ? "Turning on…" : "Turning off…"}
          expiresAtMs={localExpiresAt(quote, preview.submittedAt)}
          pending={confirm.isPending}
          problem={confirm.isError ? describeBillingError(confirm.error, "confirm") : null}
          onConfirm={() =>
            confirm.mutateAsync(acceptedOf(quote)).then((r) => {
              const pendingApproval = r.status === "pending_approval";
              onDone(pendingApproval ? "Your request is waiting for approval; nothing changes until then." : optIn ? "Overage billing is on." : "Overage billing is off.");
            })
          }
          onPreviewAgain={() => {
            confirm.reset();
            preview.mutate({ optIn });
          }}
          previewing={preview.isPending}
          subject="terms"
          secondary={
            <DialogClose>
              <Button variant="secondary" disabled={confirm.isPending}>Cancel</Button>
            </DialogClose>
          }
        />
      )}
    </Dialog>
  );
}
