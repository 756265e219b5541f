import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";
import { Button } from "../../../ui/button";

/**
 * Payment methods and the provider's own invoices live in its customer portal (Dodo's): a button opens a
 * session there, made when clicked (sessions expire), which returns to this page.
 */
export function PaymentPortal() {
  const trpc = useTRPC();
  const open = useMutation(
    trpc.billing.paymentPortal.mutationOptions({
      onSuccess: (link) => {
        if (link) window.location.assign(link.url);
      },
    }),
  );
  return (
    <section aria-labelledby="payment-portal-heading" className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="payment-portal">
      <h2 id="payment-portal-heading" className="text-base font-semibold text-slate-900">Payment methods</h2>
      <p className="mt-1 text-sm text-slate-600">Your card and the payment provider's receipts are kept in its customer portal.</p>
      <Button variant="secondary" className="mt-3" disabled={open.isPending} onClick={() => open.mutate()}>
        {open.isPending ? "Opening…" : "Update payment method and see receipts"}
      </Button>
      {open.isSuccess && !open.data && <p role="status" className="mt-2 text-sm text-slate-600">Available after your first payment: the provider does not know you as a customer yet.</p>}
      {open.isError && <p role="alert" className="mt-2 text-sm text-rose-700">The payment portal could not be opened: {open.error.message} Try again in a moment.</p>}
    </section>
  );
}
