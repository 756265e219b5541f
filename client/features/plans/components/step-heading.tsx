import { useEffect, useRef, type ReactNode } from "react";

/** A step's heading; takes focus when the step opens, so keyboard and screen-reader users land on it. */
export function StepHeading({ children, focusOnMount, description, id }: { children: ReactNode; focusOnMount: boolean; description?: ReactNode; id?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  // Read once: only the step's first appearance moves focus.
  const focusFirst = useRef(focusOnMount);
  useEffect(() => {
    if (focusFirst.current) ref.current?.focus();
  }, []);
  return (
    <div className="mb-4">
      <h2 ref={ref} id={id} tabIndex={-1} className="text-lg font-semibold tracking-tight text-slate-900 focus:outline-none">
        {children}
      </h2>
      {description && <div className="mt-1 text-sm text-slate-600">{description}</div>}
    </div>
  );
}
