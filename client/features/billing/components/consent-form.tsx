import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Button } from "../../../ui/button";
import type { BillingProblem } from "../billing-errors";
import { QuoteExpiry, useExpired } from "./quote-expiry";

/**
 * The consent: the quote's exact words as the label of an "I agree" checkbox, and a confirm button
 * that stays disabled until the box is ticked, while the confirmation is in flight (a double click
 * sends once) and once the quote has expired.
 */
export function ConsentForm({
  consentText,
  confirmLabel,
  pendingLabel,
  expiresAtMs,
  pending,
  problem,
  onConfirm,
  onPreviewAgain,
  previewing = false,
  secondary,
  subject = "price",
  optional,
}: {
  consentText: string;
  confirmLabel: string;
  pendingLabel: string;
  expiresAtMs: number;
  pending: boolean;
  problem: BillingProblem | null;
  /** Called with whether the optional box was ticked too. */
  onConfirm: (choice: { optional: boolean }) => Promise<unknown>;
  onPreviewAgain: () => void;
  previewing?: boolean;
  /** A Back or Cancel button, shown before the confirm button. */
  secondary?: ReactNode;
  /** What the quote holds: a price (plan change) or terms (overage, nothing charged now). */
  subject?: "price" | "terms";
  /** A second, optional agreement offered with this one (the overage opt-in): its own words, its own box, unticked by default. */
  optional?: { text: string; hint: string };
}) {
  const [agreed, setAgreed] = useState(false);
  const [optionalTicked, setOptionalTicked] = useState(false);
  const optionalId = useId();
  const expired = useExpired(expiresAtMs);
  // A second click can arrive before React re-renders the button as disabled; this ref catches it.
  const inFlight = useRef(false);
  const boxId = useId();
  const noteId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!agreed || expired || inFlight.current) return;
    inFlight.current = true;
    try {
      await onConfirm({ optional: optional !== undefined && optionalTicked });
    } catch {
      // Shown through `problem`.
    } finally {
      inFlight.current = false;
    }
  }

  const blocked = !agreed || expired || pending;
  return (
    <form onSubmit={submit} noValidate>
      <div className={`rounded-xl border p-4 ${agreed ? "border-brand-500 bg-brand-50/60" : "border-slate-300 bg-white"}`}>
        <div className="flex items-start gap-3">
          <input
            id={boxId}
            type="checkbox"
            checked={agreed}
            onChange={(e) => setAgreed(e.target.checked)}
            disabled={pending}
            aria-describedby={noteId}
            className="mt-1 h-5 w-5 shrink-0 cursor-pointer rounded border-slate-400 accent-brand-600"
            data-testid="consent-checkbox"
          />
          <label htmlFor={boxId} className="cursor-pointer text-[15px] leading-relaxed text-slate-900" data-testid="consent-text">
            {consentText}
          </label>
        </div>
      </div>
      {optional && (
        <div className={`mt-3 rounded-xl border p-4 ${optionalTicked ? "border-brand-500 bg-brand-50/60" : "border-slate-300 bg-white"}`}>
          <div className="flex items-start gap-3">
            <input
              id={optionalId}
              type="checkbox"
              checked={optionalTicked}
              onChange={(e) => setOptionalTicked(e.target.checked)}
              disabled={pending}
              className="mt-1 h-5 w-5 shrink-0 cursor-pointer rounded border-slate-400 accent-brand-600"
              data-testid="overage-checkbox"
            />
            <label htmlFor={optionalId} className="cursor-pointer text-[15px] leading-relaxed text-slate-900" data-testid="overage-consent-text">
              {optional.text}
            </label>
          </div>
          <p className="mt-2 pl-8 text-xs text-slate-600">{optional.hint}</p>
        </div>
      )}
      <p id={noteId} className="mt-2 text-xs text-slate-600">
        Tick the box to agree. These exact words, your e-mail address, the time and your IP address are kept as the record of your consent, on the Billing page.
      </p>

      <div className="mt-4 flex flex-wrap items-center justify-between gap-2">
        <QuoteExpiry expiresAtMs={expiresAtMs} subject={subject} />
        {expired && problem?.action !== "preview_again" && (
          <Button variant="secondary" onClick={onPreviewAgain} disabled={previewing}>
            {previewing ? "Getting a new price…" : "Preview again"}
          </Button>
        )}
      </div>

      {problem && (
        <div role="alert" className="mt-4 rounded-lg border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900" data-testid="confirm-error">
          <p>{problem.message}</p>
          {problem.action === "preview_again" && (
            <Button variant="secondary" className="mt-2" onClick={onPreviewAgain} disabled={previewing}>
              {previewing ? "Getting a new price…" : "Preview again"}
            </Button>
          )}
        </div>
      )}

      <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:items-center sm:justify-end">
        {secondary}
        <Button type="submit" disabled={blocked} aria-describedby={!agreed ? noteId : undefined} data-testid="confirm-button">
          {pending ? pendingLabel : confirmLabel}
        </Button>
      </div>
    </form>
  );
}
