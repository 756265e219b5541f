import { pino, type Logger } from "pino";

export type { Logger };

/** Where log lines go: standard output (no destination), a file (appended, written like standard output), or a stream (tests, the CLI's stderr). */
export type LogDestination = NodeJS.WritableStream | { file: string };

/**
 * Structured JSON logs, one line per event. Secrets are redacted wherever they could appear.
 * Standard output (or a file) is written asynchronously in 4 KiB chunks (a per-request log line must
 * not cost the hot path a write system call); it is flushed on exit.
 */
export function createLogger(level: string, destination?: LogDestination): Logger {
  if (level === "silent") return pino({ level });
  const stream = destination && "write" in destination ? destination : null;
  const dest = stream ?? pino.destination({ dest: destination && "file" in destination ? destination.file : 1, sync: false, minLength: 4096 });
  if (!stream) {
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
