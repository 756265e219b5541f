import { useEffect, useRef, type ReactNode } from "react";
import { Button } from "./button";
import { Dialog, DialogClose } from "./dialog";

/**
 * Asks before an action, naming what it will do (a customer revoking a key, an operator flipping a
 * plan). Nothing happens until the confirm button is pressed; while the request runs the dialog
 * stays open and cannot be dismissed, and an error is shown in place so one can retry or cancel.
 */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  confirmLabel,
  cancelLabel = "Cancel",
  pendingLabel,
  tone = "primary",
  pending,
  error,
  disabled,
  onConfirm,
  testId,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  confirmLabel: string;
  /** The button that closes without acting, named for what it keeps ("Keep the switch"). */
  cancelLabel?: string;
  pendingLabel?: string;
  tone?: "primary" | "danger";
  pending: boolean;
  error?: string | null;
  disabled?: boolean;
  /** Returns false when it did not act (input to fix), so the button works again at once. */
  onConfirm: () => void | false;
  testId?: string;
}) {
  // A double click must act once: `pending` turns true only after a render, so the second click of
  // a double click would get through. The guard opens again when the dialog reopens or shows an error.
  const firing = useRef(false);
  useEffect(() => {
    firing.current = false;
  }, [open, error]);
  const confirm = () => {
    if (firing.current) return;
    firing.current = true;
    if (onConfirm() === false) firing.current = false;
  };
  return (
    <Dialog open={open} onOpenChange={(o) => (pending ? undefined : onOpenChange(o))} title={title} description={description} role="alertdialog">
      <div data-testid={testId}>
        {children}
        {error && (
          <p role="alert" className="mt-4 rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
            {error}
          </p>
        )}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <DialogClose>
            <Button variant="secondary" disabled={pending}>{cancelLabel}</Button>
          </DialogClose>
          <Button variant={tone} disabled={pending || disabled} onClick={confirm}>
            {pending ? (pendingLabel ?? "Working…") : confirmLabel}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

/** The consequences of an action as a short list, so each one can be read on its own. */
export function Consequences({ items }: { items: ReactNode[] }) {
  return (
    <ul className="space-y-1.5 text-sm text-slate-800">
      {items.map((item, i) => (
        <li key={i} className="flex gap-2">
          <span className="mt-2 h-1.5 w-1.5 shrink-0 rounded-full bg-slate-400" aria-hidden />
          <span>{item}</span>
        </li>
      ))}
    </ul>
  );
}
