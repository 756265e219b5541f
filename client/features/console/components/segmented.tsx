import { useId } from "react";

/**
 * A small set of exclusive choices (a range, a mode) as native radio buttons styled as segments:
 * arrow keys move between them, the group is named by its legend.
 */
export function Segmented<T extends string | number>({
  legend,
  options,
  value,
  onChange,
  hideLegend = true,
  disabled,
  testId,
}: {
  legend: string;
  options: ReadonlyArray<{ value: T; label: string }>;
  value: T;
  onChange: (value: T) => void;
  hideLegend?: boolean;
  disabled?: boolean;
  testId?: string;
}) {
  const name = useId();
  return (
    <fieldset className="flex items-center gap-2" data-testid={testId} disabled={disabled}>
      <legend className={hideLegend ? "sr-only" : "float-left mr-2 text-sm font-medium text-slate-700"}>{legend}</legend>
      <div className="inline-flex rounded-lg bg-slate-100 p-0.5 ring-1 ring-inset ring-slate-200">
        {options.map((o) => (
          <label
            key={String(o.value)}
            className="relative cursor-pointer rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 has-[:checked]:bg-white has-[:checked]:text-slate-900 has-[:checked]:shadow-sm has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-600 has-[:disabled]:cursor-not-allowed"
          >
            {/* The native radio covers its segment, invisible: clicks, arrow keys and assistive tech all reach it. */}
            <input type="radio" name={name} value={String(o.value)} checked={o.value === value} onChange={() => onChange(o.value)} className="absolute inset-0 m-0 h-full w-full cursor-pointer appearance-none rounded-md opacity-0 disabled:cursor-not-allowed" />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
