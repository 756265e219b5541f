import { pino, type Logger } from "pino";

export type { Logger };

/** Where log lines go: standard output (no destination), a file (appended, written like standard output), or a stream (tests, the CLI's stderr). */
export type LogDestination = NodeJS.WritableStream | { file: string };

/** Lines are written when 4 KiB have gathered, or after at most this long. */
const LOG_FLUSH_MS = 1_000;

/**
 * Structured JSON logs, one line per event. Secrets are redacted wherever they could appear.
 * Standard output (or a file) is written asynchronously in 4 KiB chunks, so that a storm of refusals
 * (or METER_ACCESS_LOG) does not cost the hot routes a write system call per line; a quiet server's
 * lines still go out within LOG_FLUSH_MS. What is held is written synchronously on exit (a signal
 * handled by the CLI, process.exit, an uncaught exception); a SIGKILL, an out-of-memory abort or a
 * power loss loses at most the last second of lines (or 4 KiB, whichever comes first).
 */
export function createLogger(level: string, destination?: LogDestination): Logger {
  if (level === "silent") return pino({ level });
  const stream = destination && "write" in destination ? destination : null;
  const dest = stream ?? pino.destination({ dest: destination && "file" in destination ? destination.file : 1, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_MS });
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
