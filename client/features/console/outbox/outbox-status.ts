import type { Tone } from "../../../ui/badge";

/** Delivery states: "stored" is an e-mail kept in the outbox because no SMTP server is configured. */
export const STATUS_TONE: Record<string, Tone> = { sent: "good", stored: "neutral", pending: "warn", sending: "warn", failed: "bad" };

/**
 * The states in words. A message kept because no SMTP server is configured did not fail: it says so,
 * rather than "not delivered" as if something went wrong.
 */
const STATUS_LABEL: Record<string, string> = {
  sent: "Sent",
  stored: "Kept in the outbox: SMTP not configured",
  pending: "Waiting to be sent",
  sending: "Sending",
  failed: "Failed",
};

export function outboxStatusLabel(status: string): string {
  return STATUS_LABEL[status] ?? status;
}
