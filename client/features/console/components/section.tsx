import { useId, type ReactNode } from "react";

/** A titled block of a console page; the heading names the region for screen-reader navigation. */
export function Section({ title, description, actions, children, testId, flush }: { title: string; description?: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string; flush?: boolean }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="mt-8" data-testid={testId}>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id={id} className="text-lg font-semibold tracking-tight text-slate-900">{title}</h2>
          {description && <p className="mt-0.5 text-sm text-slate-600">{description}</p>}
        </div>
        {actions}
      </div>
      {flush ? children : <div>{children}</div>}
    </section>
  );
}
