/**
 * An on/off switch (role="switch"), named by a <label htmlFor={id}>. A locked switch stays focusable,
 * so its explanation can be read, but does not move.
 */
export function Switch({ id, checked, locked = false, onChange, describedBy }: { id: string; checked: boolean; locked?: boolean; onChange: (next: boolean) => void; describedBy?: string }) {
  return (
    <button
      id={id}
      type="button"
      role="switch"
      aria-checked={checked}
      aria-disabled={locked || undefined}
      aria-describedby={describedBy}
      onClick={() => !locked && onChange(!checked)}
      className={`relative inline-flex h-6 w-11 shrink-0 items-center rounded-full ring-1 ring-inset transition-colors ${
        checked ? "bg-brand-600 ring-brand-700" : "bg-slate-200 ring-slate-500"
      } ${locked ? "cursor-not-allowed opacity-60" : "cursor-pointer"}`}
    >
      <span
        aria-hidden
        className={`inline-flex h-5 w-5 items-center justify-center rounded-full bg-white shadow ring-1 ring-slate-900/10 transition-transform ${checked ? "translate-x-[1.375rem]" : "translate-x-0.5"}`}
      >
        {locked && (
          <svg viewBox="0 0 24 24" className="h-3 w-3 text-slate-600" fill="none" stroke="currentColor" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round">
            <path d="M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z" />
          </svg>
        )}
      </span>
    </button>
  );
}
