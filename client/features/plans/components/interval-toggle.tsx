import { useId } from "react";
import { INTERVAL_WORDS, yearlySaving } from "../../../../shared/billing-interval";
import type { BillingInterval, Plan } from "../../../../shared/plans";

/** Any of these plans is sold by the year: the pages offer the Monthly / Yearly choice (a catalog sold monthly only shows none). */
export function offersYearly(plans: readonly Plan[]): boolean {
  return plans.some((p) => p.prices.year !== undefined);
}

/** The largest yearly saving among the plans, in words ("2 months free", "save 25%"), for the toggle's label. */
function bestSaving(plans: readonly Plan[]): string | null {
  const best = plans.map((p) => yearlySaving(p)).reduce<ReturnType<typeof yearlySaving>>((a, b) => (b && (!a || b.percent > a.percent) ? b : a), null);
  return best ? best.words : null;
}

/**
 * Monthly / Yearly, as Stripe's pricing tables have it: two native radios styled as segments (arrow
 * keys move between them), the yearly one with what it saves at best.
 */
export function IntervalToggle({ plans, value, onChange, current }: { plans: readonly Plan[]; value: BillingInterval; onChange: (i: BillingInterval) => void; current?: BillingInterval }) {
  const name = useId();
  const saving = bestSaving(plans);
  const options: Array<{ value: BillingInterval; label: string; note: string | null }> = [
    { value: "month", label: INTERVAL_WORDS.month.label, note: null },
    { value: "year", label: INTERVAL_WORDS.year.label, note: saving ? `up to ${saving}` : null },
  ];
  return (
    <fieldset className="mb-4 flex flex-wrap items-center gap-3" data-testid="interval-toggle">
      <legend className="sr-only">Billing interval</legend>
      <div className="inline-flex rounded-lg bg-slate-100 p-0.5 ring-1 ring-inset ring-slate-200">
        {options.map((o) => (
          <label
            key={o.value}
            className="relative cursor-pointer rounded-md px-3.5 py-1.5 text-sm font-medium text-slate-700 has-[:checked]:bg-white has-[:checked]:text-slate-900 has-[:checked]:shadow-sm has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-600"
          >
            <input type="radio" name={name} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} className="absolute inset-0 m-0 h-full w-full cursor-pointer appearance-none rounded-md opacity-0" />
            {o.label}
            {o.note && <span className="ml-1.5 rounded bg-emerald-50 px-1.5 py-0.5 text-xs font-semibold text-emerald-800">{o.note}</span>}
          </label>
        ))}
      </div>
      {current && <span className="text-sm text-slate-600">You are billed {INTERVAL_WORDS[current].adjective}.</span>}
    </fieldset>
  );
}
