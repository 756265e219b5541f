import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useBrand } from "../../../app/brand";
import { useTRPC } from "../../../lib/trpc";

/**
 * The one optional question after a plan change: the standard Net Promoter Score question (the console
 * reports the answers as NPS), 0–10, answered with one click, never required.
 */
export function SatisfactionQuestion({ planChangeId }: { planChangeId: string }) {
  const trpc = useTRPC();
  const brand = useBrand();
  const legendId = useId();
  const scaleId = useId();
  const [score, setScore] = useState<number | null>(null);
  const rate = useMutation(trpc.billing.rate.mutationOptions());
  return (
    // The divider belongs to the wrapper: a fieldset's own border is drawn through the middle of its legend.
    <div className="border-t border-slate-100 p-5">
      <fieldset className="m-0 min-w-0 border-0 p-0" aria-labelledby={legendId} aria-describedby={scaleId} data-testid="satisfaction">
        <legend id={legendId} className="p-0 text-sm font-medium text-slate-800">
          How likely are you to recommend {brand.name} to a friend or colleague? <span className="font-normal text-slate-600">(optional)</span>
        </legend>
        <div className="mt-3">
          <div className="grid max-w-md grid-cols-11 gap-1 sm:gap-1.5">
            {Array.from({ length: 11 }, (_, i) => (
              <button
                key={i}
                type="button"
                aria-pressed={score === i}
                disabled={rate.isPending}
                onClick={() => {
                  setScore(i);
                  rate.mutate({ planChangeId, score: i });
                }}
                className={`h-9 min-w-0 rounded-lg text-sm font-medium tabular-nums ring-1 ring-inset ${score === i ? "bg-brand-600 text-white ring-brand-600" : "bg-white text-slate-800 ring-slate-300 hover:bg-slate-50"}`}
              >
                {i}
              </button>
            ))}
          </div>
          <p id={scaleId} className="mt-1.5 flex max-w-md justify-between gap-4 text-xs text-slate-600" data-testid="satisfaction-scale">
            <span>0 = Not at all likely</span>
            <span className="text-right">10 = Extremely likely</span>
          </p>
        </div>
        {rate.isSuccess && <p role="status" className="mt-2 text-sm text-emerald-800">Thank you.</p>}
        {rate.isError && <p role="alert" className="mt-2 text-sm text-rose-700">{rate.error.message}</p>}
      </fieldset>
    </div>
  );
}
