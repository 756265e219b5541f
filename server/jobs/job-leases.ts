import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** Who this process is in the lease table: "<host>/<pid>/<random>" (the random part tells a restarted pid apart). */
export function newHolderId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
}

/**
 * A holder on this host whose process no longer exists (it crashed): its lease need not run out
 * before a restarted process takes the job. Another host's holder, or a live pid, is never "gone".
 */
export function holderIsGone(holder: string): boolean {
  const [host, pidText] = holder.split("/");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
