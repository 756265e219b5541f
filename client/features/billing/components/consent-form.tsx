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
      <AgreeBox id={boxId} checked={agreed} onChange={setAgreed} disabled={pending} describedBy={noteId} testId="consent">
        {consentText}
      </AgreeBox>
      <p id={noteId} className="mt-2 text-xs text-slate-600">
        Tick the box to agree. These exact words, your e-mail address, the time and your IP address are kept as the record of your consent, on the Billing page.
      </p>
      {optional && (
        <AgreeBox id={optionalId} checked={optionalTicked} onChange={setOptionalTicked} disabled={pending} testId="overage" hint={optional.hint} className="mt-4">
          {optional.text}
        </AgreeBox>
      )}

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

/** One agreement: the exact words as the label of a checkbox, the box highlighted once ticked. */
function AgreeBox(props: {
  id: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled: boolean;
  /** "consent" → data-testid consent-checkbox / consent-text; "overage" → overage-checkbox / overage-consent-text. */
  testId: "consent" | "overage";
  describedBy?: string;
  hint?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={`rounded-xl border p-4 ${props.checked ? "border-brand-500 bg-brand-50/60" : "border-slate-300 bg-white"} ${props.className ?? ""}`}>
      <div className="flex items-start gap-3">
        <input
          id={props.id}
          type="checkbox"
          checked={props.checked}
          onChange={(e) => props.onChange(e.target.checked)}
          disabled={props.disabled}
          aria-describedby={props.describedBy}
          className="mt-1 h-5 w-5 shrink-0 cursor-pointer rounded border-slate-400 accent-brand-600"
          data-testid={`${props.testId}-checkbox`}
        />
        <label htmlFor={props.id} className="cursor-pointer text-[15px] leading-relaxed text-slate-900" data-testid={props.testId === "consent" ? "consent-text" : "overage-consent-text"}>
          {props.children}
        </label>
      </div>
      {props.hint && <p className="mt-2 pl-8 text-xs text-slate-600">{props.hint}</p>}
    </div>
  );
}
