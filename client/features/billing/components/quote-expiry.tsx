import { formatTime, isoInstant } from "../../../lib/format";
import { useNow } from "../../../lib/use-now";

function left(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s left`;
  return `${Math.ceil(s / 60)} min left`;
}

/** "This price is valid until 14:32 UTC (12 min left)", or that it has expired. */
export function QuoteExpiry({ expiresAtMs, subject = "price" }: { expiresAtMs: number; subject?: "price" | "terms" }) {
  const now = useNow(1_000);
  const expired = now >= expiresAtMs;
  const time = formatTime(expiresAtMs);
  return (
    <p className={`flex items-center gap-2 text-sm ${expired ? "font-medium text-rose-800" : "text-slate-600"}`} data-testid="quote-expiry">
      <svg viewBox="0 0 24 24" className="h-4 w-4 shrink-0" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden>
        <circle cx="12" cy="12" r="9" />
        <path d="M12 7v5l3 2" />
      </svg>
      {expired ? (
        <span>{subject === "price" ? `This price expired at ${time}. Prices are held for 15 minutes; preview again to see the current price.` : `These terms expired at ${time}. They are held for 15 minutes; preview them again.`}</span>
      ) : (
        <span>
          {subject === "price" ? "This price is" : "These terms are"} valid until <time dateTime={isoInstant(expiresAtMs)}>{time}</time> <span className="text-slate-500">({left(expiresAtMs - now)})</span>.
        </span>
      )}
    </p>
  );
}

/** Whether a quote has expired by this browser's clock; re-evaluated every second. */
export function useExpired(expiresAtMs: number | undefined): boolean {
  const now = useNow(1_000);
  return expiresAtMs !== undefined && now >= expiresAtMs;
}
