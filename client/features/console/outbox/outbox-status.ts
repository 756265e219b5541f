import type { Tone } from "../../../ui/badge";

/** Delivery states: "stored" is an e-mail kept in the outbox because no SMTP server is configured. */
export const STATUS_TONE: Record<string, Tone> = { sent: "good", stored: "neutral", pending: "warn", sending: "warn", failed: "bad" };
