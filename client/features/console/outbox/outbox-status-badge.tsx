import { Badge } from "../../../ui/badge";
import { outboxStatusLabel, outboxStatusReason, STATUS_TONE } from "./outbox-status";

/** A message's delivery state: a short badge, and why, in words ("Kept in the outbox: SMTP not configured"). */
export function OutboxStatus({ status }: { status: string }) {
  const reason = outboxStatusReason(status);
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5 gap-y-1">
      <Badge tone={STATUS_TONE[status] ?? "neutral"}>{outboxStatusLabel(status)}</Badge>
      {reason && (
        <span className="text-xs text-slate-600">
          <span className="sr-only">: </span>
          {reason}
        </span>
      )}
    </span>
  );
}
