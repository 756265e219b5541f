import type { Tone } from "../../../ui/badge";

/** Delivery states: "stored" is an e-mail kept in the outbox because no SMTP server is configured. */
export const STATUS_TONE: Record<string, Tone> = { sent: "good", stored: "neutral", pending: "warn", sending: "warn", failed: "bad" };

/**
 * The states in words. A message kept because no SMTP server is configured did not fail: it says so,
 * rather than "not delivered" as if something went wrong.
 */
const STATUS_LABEL: Record<string, string> = {
  sent: "Sent",
  stored: "Kept in the outbox",
  pending: "Waiting to be sent",
  sending: "Sending",
  failed: "Failed",
};

/** Why a message is in its state, beside the badge (which stays short enough to fit a phone's card). */
const STATUS_REASON: Record<string, string> = { stored: "SMTP not configured" };

export function outboxStatusLabel(status: string): string {
  return STATUS_LABEL[status] ?? status;
}

export function outboxStatusReason(status: string): string | null {
  return STATUS_REASON[status] ?? null;
}
