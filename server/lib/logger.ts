import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs. Secrets are redacted wherever they could appear. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "headroom" },
      redact: {
        paths: ["key", "token", "*.key", "*.token", "req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie"],
        censor: "[redacted]",
      },
    },
    destination ?? process.stdout,
  );
}
