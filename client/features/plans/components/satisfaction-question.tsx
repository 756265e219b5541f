import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../../../lib/trpc";

/** The one optional question after a plan change: 0–10, answered with one click, never required. */
export function SatisfactionQuestion({ planChangeId }: { planChangeId: string }) {
  const trpc = useTRPC();
  const legendId = useId();
  const [score, setScore] = useState<number | null>(null);
  const rate = useMutation(trpc.billing.rate.mutationOptions());
  return (
    <fieldset className="border-t border-slate-100 p-5" aria-labelledby={legendId} data-testid="satisfaction">
      <legend id={legendId} className="text-sm font-medium text-slate-800">
        Optional: how easy was it to change your plan? <span className="font-normal text-slate-600">(0 = very hard, 10 = very easy)</span>
      </legend>
      <div className="mt-2 flex flex-wrap gap-1.5">
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
            className={`h-9 w-9 rounded-lg text-sm font-medium ring-1 ring-inset ${score === i ? "bg-brand-600 text-white ring-brand-600" : "bg-white text-slate-800 ring-slate-300 hover:bg-slate-50"}`}
          >
            {i}
          </button>
        ))}
      </div>
      {rate.isSuccess && <p role="status" className="mt-2 text-sm text-emerald-800">Thank you.</p>}
      {rate.isError && <p role="alert" className="mt-2 text-sm text-rose-700">{rate.error.message}</p>}
    </fieldset>
  );
}
