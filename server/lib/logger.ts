import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs, one line per event. Secrets are redacted wherever they could appear.
 * Standard output is written asynchronously in 4 KiB chunks (a per-request log line must not cost
 * the hot path a write system call); it is flushed on exit.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  if (level === "silent") return pino({ level });
  const dest = destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 });
  if (!destination) {
    process.once("exit", () => {
      try {
        (dest as ReturnType<typeof pino.destination>).flushSync();
      } catch {
        // Nothing more can be done for a log line at exit.
      }
    });
  }
  return pino(
    {
      level,
      base: { service: "headroom" },
      redact: {
        paths: ["key", "token", "*.key", "*.token", "req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie"],
        censor: "[redacted]",
      },
    },
    dest,
  );
}
