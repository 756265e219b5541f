import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { formatMoney } from "../../../../../shared/money";
import { Button } from "../../../../ui/button";
import { Dialog, DialogClose } from "../../../../ui/dialog";
import type { InvoiceData } from "../../console-data";
import { inputToMinor, minorToInput } from "../../lib/money-input";
import { useRefund } from "../use-refund";

export interface RefundTarget {
  invoice: InvoiceData;
  /** What can still be refunded of the invoice, minor units. */
  restMinor: number;
  /** One per opening of the dialog: a double click or a retry refunds once. */
  requestId: string;
}

/**
 * Refunds an invoice or part of it. The amount starts at what is left to refund; the reason is
 * required because the customer is told it. The button names the amount that will be refunded.
 */
export function RefundDialog({ target, accountName, onClose, onRefunded }: { target: RefundTarget | null; accountName: string; onClose: () => void; onRefunded: (message: string) => void }) {
  const refund = useRefund();

  function close(open: boolean) {
    if (open || refund.isPending) return;
    refund.reset();
    onClose();
  }

  return (
    <Dialog
      open={target !== null}
      onOpenChange={close}
      role="alertdialog"
      title={target ? `Refund invoice ${target.invoice.number}` : "Refund"}
      description={target && <>To {accountName}. Invoice total {formatMoney(target.invoice.totalMinor, target.invoice.currency)}; {formatMoney(target.restMinor, target.invoice.currency)} can still be refunded.</>}
    >
      {target && (
        <RefundForm
          // A new form (fresh amount and reason) for every opening.
          key={target.requestId}
          target={target}
          pending={refund.isPending}
          serverError={refund.isError ? refund.error.message : null}
          onSubmit={(amountMinor, reason) =>
            refund.mutate(
              { invoiceId: target.invoice.id, amountMinor, reason, requestId: target.requestId },
              {
                onSuccess: (r) => {
                  const amount = formatMoney(r.amountMinor, target.invoice.currency);
                  onRefunded(`Refunded ${amount} of ${target.invoice.number}. ${accountName} has been notified.${r.replayed ? " (It had already gone through; nothing was refunded twice.)" : ""}`);
                  refund.reset();
                  onClose();
                },
              },
            )
          }
        />
      )}
    </Dialog>
  );
}

function RefundForm({ target, pending, serverError, onSubmit }: { target: RefundTarget; pending: boolean; serverError: string | null; onSubmit: (amountMinor: number, reason: string) => void }) {
  const { invoice, restMinor } = target;
  const [amount, setAmount] = useState(() => minorToInput(restMinor, invoice.currency));
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const amountId = useId();
  const amountHint = useId();
  const amountError = useId();
  const reasonId = useId();
  const reasonHint = useId();
  const reasonError = useId();

  const minor = inputToMinor(amount, invoice.currency);
  const amountProblem = minor === null ? `Enter an amount in ${invoice.currency}, like ${minorToInput(restMinor, invoice.currency)}.` : minor <= 0 ? "The amount must be more than zero." : minor > restMinor ? `At most ${formatMoney(restMinor, invoice.currency)} can be refunded.` : null;
  const reasonProblem = reason.trim().length < 3 ? "Give a short reason (at least 3 characters): the customer sees it." : null;
  const valid = !amountProblem && !reasonProblem;

  // A double click submits once (the pending state arrives a render later); an error lets it retry, with the same requestId.
  const sent = useRef(false);
  useEffect(() => {
    sent.current = false;
  }, [serverError]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (!valid || minor === null || sent.current) return;
    sent.current = true;
    onSubmit(minor, reason.trim());
  }

  return (
    <form onSubmit={submit} noValidate>
      <label htmlFor={amountId} className="block text-sm font-medium text-slate-800">Amount ({invoice.currency})</label>
      <div className="mt-1.5 flex items-center gap-2">
        <input
          id={amountId}
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          aria-invalid={touched && amountProblem ? true : undefined}
          aria-describedby={touched && amountProblem ? `${amountHint} ${amountError}` : amountHint}
          className="w-40 rounded-lg border border-slate-300 px-3 py-2 text-sm tabular-nums text-slate-900 aria-[invalid=true]:border-rose-500"
        />
        <Button variant="ghost" onClick={() => setAmount(minorToInput(restMinor, invoice.currency))} className="text-brand-700">
          All that is left ({formatMoney(restMinor, invoice.currency)})
        </Button>
      </div>
      <p id={amountHint} className="mt-1.5 text-xs text-slate-600">Defaults to the rest of the invoice. A part refund leaves the rest refundable later.</p>
      {touched && amountProblem && <p id={amountError} className="mt-1 text-sm text-rose-700">{amountProblem}</p>}

      <label htmlFor={reasonId} className="mt-4 block text-sm font-medium text-slate-800">Reason</label>
      <textarea
        id={reasonId}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        rows={3}
        maxLength={500}
        aria-invalid={touched && reasonProblem ? true : undefined}
        aria-describedby={touched && reasonProblem ? `${reasonHint} ${reasonError}` : reasonHint}
        placeholder="Billed twice for the same period"
        className="mt-1.5 w-full rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900 placeholder:text-slate-500 aria-[invalid=true]:border-rose-500"
      />
      <p id={reasonHint} className="mt-1.5 text-xs text-slate-600">Shown to the customer in the refund notice and on the credit note.</p>
      {touched && reasonProblem && <p id={reasonError} className="mt-1 text-sm text-rose-700">{reasonProblem}</p>}

      <p className="mt-4 rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-800 ring-1 ring-inset ring-slate-200">
        A credit note of {minor !== null && !amountProblem ? formatMoney(minor, invoice.currency) : "the amount"} is issued against {invoice.number} and the customer is notified. A refund cannot be undone.
      </p>
      {serverError && (
        <p role="alert" className="mt-3 rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">{serverError}</p>
      )}
      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <DialogClose>
          <Button variant="secondary" disabled={pending}>Cancel</Button>
        </DialogClose>
        <Button type="submit" variant="danger" disabled={pending}>
          {pending ? "Refunding…" : minor !== null && !amountProblem ? `Refund ${formatMoney(minor, invoice.currency)}` : "Refund"}
        </Button>
      </div>
    </form>
  );
}
