import { useId, type ReactNode, type Ref } from "react";

export type BannerSeverity = "info" | "warning" | "critical";

/**
 * Colours per severity. Every text/background pair meets WCAG AA (4.5:1): the body text is the
 * 900 shade on the 50 background, and the solid action is white on the 700/800 shade.
 */
export const BANNER_TONES: Record<BannerSeverity, { box: string; icon: string; title: string; body: string; action: string; link: string; close: string; label: string }> = {
  info: {
    box: "border-indigo-200 border-l-indigo-600 bg-indigo-50",
    icon: "text-indigo-600",
    title: "text-indigo-950",
    body: "text-indigo-900",
    action: "bg-indigo-700 text-white hover:bg-indigo-800",
    link: "text-indigo-900 decoration-indigo-400 hover:decoration-indigo-900",
    close: "text-indigo-800 hover:bg-indigo-100",
    label: "Information",
  },
  warning: {
    box: "border-amber-300 border-l-amber-500 bg-amber-50",
    icon: "text-amber-600",
    title: "text-amber-950",
    body: "text-amber-900",
    action: "bg-amber-800 text-white hover:bg-amber-900",
    link: "text-amber-900 decoration-amber-500 hover:decoration-amber-900",
    close: "text-amber-900 hover:bg-amber-100",
    label: "Warning",
  },
  critical: {
    box: "border-rose-300 border-l-rose-600 bg-rose-50",
    icon: "text-rose-600",
    title: "text-rose-950",
    body: "text-rose-900",
    action: "bg-rose-700 text-white hover:bg-rose-800",
    link: "text-rose-900 decoration-rose-400 hover:decoration-rose-900",
    close: "text-rose-900 hover:bg-rose-100",
    label: "Critical",
  },
};

const ICONS: Record<BannerSeverity, string> = {
  info: "M12 16v-4m0-4h.01M22 12a10 10 0 1 1-20 0 10 10 0 0 1 20 0Z",
  warning: "M12 9v4m0 4h.01M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z",
  critical: "M12 8v4m0 4h.01M7.9 2h8.2L22 7.9v8.2L16.1 22H7.9L2 16.1V7.9Z",
};

export function SeverityIcon({ severity, className = "" }: { severity: BannerSeverity; className?: string }) {
  return (
    <svg viewBox="0 0 24 24" className={`shrink-0 ${BANNER_TONES[severity].icon} ${className}`} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
      <path d={ICONS[severity]} />
    </svg>
  );
}

/**
 * A page-wide message in the colour of its severity: a landmark named by its title, so keyboard and
 * screen-reader users can jump to it; the severity is spoken too, not only shown as a colour.
 */
export function Banner({
  severity,
  title,
  children,
  actions,
  onDismiss,
  dismissLabel = "Dismiss notice",
  dismissing = false,
  dismissRef,
  testId,
}: {
  severity: BannerSeverity;
  title: ReactNode;
  children?: ReactNode;
  actions?: ReactNode;
  onDismiss?: () => void;
  dismissLabel?: string;
  dismissing?: boolean;
  dismissRef?: Ref<HTMLButtonElement>;
  testId?: string;
}) {
  const tone = BANNER_TONES[severity];
  const titleId = useId();
  return (
    <section aria-labelledby={titleId} className={`mb-6 rounded-xl border border-l-4 px-4 py-4 shadow-sm sm:px-5 ${tone.box}`} data-testid={testId} data-severity={severity}>
      {/* On phones the text runs under the icon, so it keeps the full width. */}
      <div className="grid grid-cols-[auto_1fr_auto] items-start gap-x-3">
        <SeverityIcon severity={severity} className="mt-0.5 h-5 w-5" />
        <h2 id={titleId} className={`self-center font-semibold leading-snug ${tone.title}`}>
          <span className="sr-only">{tone.label}: </span>
          {title}
        </h2>
        {onDismiss ? (
          <button
            ref={dismissRef}
            type="button"
            onClick={onDismiss}
            disabled={dismissing}
            className={`-my-1.5 -mr-1.5 shrink-0 rounded-lg p-2 disabled:opacity-60 ${tone.close}`}
          >
            <span className="sr-only">{dismissLabel}</span>
            <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden>
              <path d="M6 6l12 12M18 6 6 18" />
            </svg>
          </button>
        ) : (
          <span />
        )}
        {children && <div className={`col-span-3 mt-1.5 space-y-1 text-sm leading-relaxed sm:col-span-1 sm:col-start-2 ${tone.body}`}>{children}</div>}
        {actions && <div className="col-span-3 mt-3 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm sm:col-span-1 sm:col-start-2">{actions}</div>}
      </div>
    </section>
  );
}
