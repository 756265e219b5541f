import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { DAY_MS, startOfUtcDay } from "../../../../../shared/limits";
import { isoDay } from "../../../../lib/format";
import { Button } from "../../../../ui/button";
import { Dialog, DialogClose } from "../../../../ui/dialog";
import { Consequences } from "../../../../ui/confirm-dialog";
import { formatDateUtc } from "../../lib/format";
import { useGrandfather } from "../use-grandfather";


/** "2026-12-25" → 00:00 UTC of that day; null for anything else. */
function dayToMs(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Keeps an account on its current terms until a date: its plan is not charged and its caps are not
 * enforced until then; the customer is told. A preset covers the usual "30 days from today".
 */
export function GrandfatherDialog({
  open,
  onOpenChange,
  account,
  onDone,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  account: { id: string; name: string; planName: string; grandfatheredUntilMs: number | null };
  onDone: (message: string) => void;
}) {
  const grandfather = useGrandfather();
  const today = startOfUtcDay(Date.now());
  const preset = today + 30 * DAY_MS;
  const [day, setDay] = useState(() => isoDay(preset));
  const [touched, setTouched] = useState(false);
  const dateId = useId();
  const hintId = useId();
  const errorId = useId();
  const active = account.grandfatheredUntilMs !== null && account.grandfatheredUntilMs > Date.now();

  const untilMs = dayToMs(day);
  const problem = untilMs === null ? "Pick a date." : untilMs <= Date.now() ? "Pick a date after today." : null;

  function close(next: boolean) {
    if (grandfather.isPending) return;
    if (!next) {
      grandfather.reset();
      setDay(isoDay(preset));
      setTouched(false);
    }
    onOpenChange(next);
  }

  // One request per click, even for a double click (the pending state arrives a render later).
  const sent = useRef(false);
  useEffect(() => {
    sent.current = false;
  }, [open, grandfather.error]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (problem || untilMs === null || sent.current) return;
    sent.current = true;
    grandfather.mutate(
      { accountIds: [account.id], untilMs },
      {
        onSuccess: () => {
          onDone(`${account.name} keeps its ${account.planName} terms until ${formatDateUtc(untilMs)}. The customer has been notified.`);
          close(false);
        },
      },
    );
  }

  function end() {
    if (sent.current) return;
    sent.current = true;
    grandfather.mutate(
      { accountIds: [account.id], untilMs: null },
      {
        onSuccess: () => {
          onDone(`Grandfathering of ${account.name} has ended: its ${account.planName} plan is charged and enforced normally from now on.`);
          close(false);
        },
      },
    );
  }

  return (
    <Dialog
      open={open}
      onOpenChange={close}
      role="alertdialog"
      title={`Grandfather ${account.name}`}
      description={active ? <>Currently on its {account.planName} terms until {formatDateUtc(account.grandfatheredUntilMs!)}. Pick a new date, or end it now.</> : <>Keep {account.name} on its current {account.planName} terms until a date.</>}
    >
      <form onSubmit={submit} noValidate>
        <label htmlFor={dateId} className="block text-sm font-medium text-slate-800">Until (00:00 UTC of)</label>
        <div className="mt-1.5 flex flex-wrap items-center gap-2">
          <input
            id={dateId}
            type="date"
            value={day}
            min={isoDay(today + DAY_MS)}
            onChange={(e) => setDay(e.target.value)}
            aria-invalid={touched && problem ? true : undefined}
            aria-describedby={touched && problem ? `${hintId} ${errorId}` : hintId}
            className="rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900 aria-[invalid=true]:border-rose-500"
          />
          <Button variant="secondary" onClick={() => setDay(isoDay(preset))}>30 days from today</Button>
        </div>
        <p id={hintId} className="mt-1.5 text-xs text-slate-600">The terms end at the start of that day, UTC.</p>
        {touched && problem && <p id={errorId} className="mt-1 text-sm text-rose-700">{problem}</p>}

        <div className="mt-4 rounded-lg bg-slate-50 px-3 py-3 ring-1 ring-inset ring-slate-200">
          <p className="mb-2 text-sm font-medium text-slate-900">Until {untilMs !== null && !problem ? formatDateUtc(untilMs) : "that date"}:</p>
          <Consequences
            items={[
              <>The {account.planName} plan is not charged (it counts as $0 in MRR).</>,
              <>Its caps are not enforced: calls over a cap are served (counted as “would throttle”) even if the plan is in enforce mode.</>,
              <>The customer gets a notice saying so, with the date.</>,
            ]}
          />
        </div>
        {grandfather.isError && (
          <p role="alert" className="mt-3 rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">{grandfather.error.message}</p>
        )}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:items-center sm:justify-end">
          {active && (
            <Button variant="ghost" onClick={end} disabled={grandfather.isPending} className="text-rose-800 sm:mr-auto">
              End grandfathering now
            </Button>
          )}
          <DialogClose>
            <Button variant="secondary" disabled={grandfather.isPending}>Cancel</Button>
          </DialogClose>
          <Button type="submit" disabled={grandfather.isPending}>
            {grandfather.isPending ? "Saving…" : untilMs !== null && !problem ? `Keep terms until ${formatDateUtc(untilMs)}` : "Keep terms"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
