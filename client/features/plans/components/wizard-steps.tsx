export const WIZARD_STEPS = [
  { id: "choose", label: "Choose" },
  { id: "preview", label: "Preview" },
  { id: "consent", label: "Consent" },
  { id: "done", label: "Done" },
] as const;

export type WizardStep = (typeof WIZARD_STEPS)[number]["id"];

/** Where the customer is in the plan change: four numbered steps, the current one marked for screen readers too. */
export function WizardSteps({ current }: { current: WizardStep }) {
  const index = WIZARD_STEPS.findIndex((s) => s.id === current);
  return (
    <nav aria-label="Plan change steps" className="mb-6" data-testid="wizard-steps">
      <ol className="flex items-center gap-2 sm:gap-3">
        {WIZARD_STEPS.map((s, i) => {
          const done = i < index;
          const active = i === index;
          return (
            <li key={s.id} aria-current={active ? "step" : undefined} className="flex min-w-0 flex-1 items-center gap-2 last:flex-none sm:gap-3">
              <span
                className={`flex h-7 w-7 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${
                  active ? "bg-brand-600 text-white" : done ? "bg-brand-100 text-brand-700" : "bg-white text-slate-600 ring-1 ring-inset ring-slate-300"
                }`}
                aria-hidden
              >
                {done ? (
                  <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round">
                    <path d="m5 12 5 5L20 7" />
                  </svg>
                ) : (
                  i + 1
                )}
              </span>
              {/* On a phone only the current step is named; the others are numbered circles (and still named for screen readers). */}
              <span className={`whitespace-nowrap text-sm ${active ? "font-semibold text-slate-900" : `sr-only sm:not-sr-only ${done ? "font-medium text-slate-700" : "text-slate-600"}`}`}>
                <span className="sr-only">Step {i + 1} of {WIZARD_STEPS.length}: </span>
                {s.label}
                {done && <span className="sr-only"> (done)</span>}
              </span>
              {i < WIZARD_STEPS.length - 1 && <span aria-hidden className={`h-px min-w-3 flex-1 ${done ? "bg-brand-500" : "bg-slate-200"}`} />}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
