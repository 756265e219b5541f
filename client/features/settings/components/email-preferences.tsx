import { useEffect, useId, useState } from "react";
import type { Preference } from "../use-preferences";
import { useSetPreference } from "../use-set-preference";
import { Switch } from "./switch";

/** What each kind of notice is, in the customer's words. */
const KINDS: Record<string, { label: string; description: string }> = {
  approaching: { label: "Approaching a cap (80%)", description: "When you have used 80% of a cap in its window, so you can act before you reach it." },
  reached: { label: "Reached a cap", description: "When your calls go over one of your plan's caps." },
  sustained: {
    label: "Traffic outgrowing your plan (3 of 7 days)",
    description: "When you go over a cap on 3 of the last 7 days, with the plan that would fit your traffic.",
  },
  enforcement_scheduled: { label: "Enforcement is about to start", description: "Always e-mailed, so that no call is ever refused without warning." },
};

/** One switch per kind of notice; each change is saved at once. */
export function EmailPreferences({ preferences }: { preferences: Preference[] }) {
  return (
    <ul aria-label="E-mail notices" className="divide-y divide-slate-100">
      {preferences.map((p) => (
        <PreferenceRow key={p.kind} preference={p} />
      ))}
    </ul>
  );
}

function PreferenceRow({ preference: p }: { preference: Preference }) {
  const save = useSetPreference();
  const id = useId();
  const descriptionId = useId();
  const text = KINDS[p.kind] ?? { label: p.kind, description: "" };
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!saved) return;
    const t = setTimeout(() => setSaved(false), 4_000);
    return () => clearTimeout(t);
  }, [saved]);

  function change(email: boolean) {
    setSaved(false);
    save.mutate({ kind: p.kind, email }, { onSuccess: () => setSaved(true) });
  }

  return (
    <li className="flex items-start justify-between gap-4 py-4 first:pt-1 last:pb-1" data-testid={`preference-${p.kind}`}>
      <div className="min-w-0">
        <label htmlFor={id} className={`font-medium text-slate-900 ${p.locked ? "" : "cursor-pointer"}`}>
          {text.label}
        </label>
        <p id={descriptionId} className="mt-0.5 text-sm text-slate-600">
          {p.locked && (
            <svg viewBox="0 0 24 24" className="mr-1 inline h-3.5 w-3.5 -translate-y-px text-slate-500" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
              <path d="M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z" />
            </svg>
          )}
          {text.description}
        </p>
        <p role="status" aria-live="polite" className="mt-1 text-sm empty:hidden">
          {save.isPending && <span className="text-slate-600">Saving…</span>}
          {!save.isPending && saved && (
            <span className="inline-flex items-center gap-1 font-medium text-emerald-700">
              <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
                <path d="m5 12 5 5L20 7" />
              </svg>
              Saved
            </span>
          )}
        </p>
        {save.isError && (
          <p role="alert" className="mt-1 text-sm font-medium text-rose-700">
            Not saved ({save.error.message}). The setting is unchanged; try again.
          </p>
        )}
      </div>
      <div className="flex shrink-0 items-center gap-2 pt-0.5">
        <span className="text-sm text-slate-600" aria-hidden>{p.email ? "On" : "Off"}</span>
        <Switch id={id} checked={p.email} locked={p.locked} onChange={change} describedBy={descriptionId} />
      </div>
    </li>
  );
}
