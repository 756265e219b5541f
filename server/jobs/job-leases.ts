import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { and, eq, lte, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { jobLeases } from "../db/schema";

export type JobLease = typeof jobLeases.$inferSelect;

/** Who this process is in the lease table: "<host>/<pid>/<random>" (the random part tells a restarted pid apart). */
export function newHolderId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
}

/**
 * Takes the job's lease until `nowMs + ttlMs`, in one statement: inserted when nobody holds it,
 * taken over when it has expired, extended when this holder has it. True when `holder` has it now.
 */
export function acquireLease(db: Db, job: string, holder: string, nowMs: number, ttlMs: number): boolean {
  const expiresAtMs = nowMs + ttlMs;
  return (
    db
      .insert(jobLeases)
      .values({ job, holder, expiresAtMs })
      .onConflictDoUpdate({ target: jobLeases.job, set: { holder, expiresAtMs }, setWhere: or(lte(jobLeases.expiresAtMs, nowMs), eq(jobLeases.holder, holder)) })
      .run().changes === 1
  );
}

/** Takes over a lease from one exact holder (known to be gone), in one statement; false if it changed hands meanwhile. */
export function takeOverLease(db: Db, job: string, from: string, holder: string, nowMs: number, ttlMs: number): boolean {
  return db.update(jobLeases).set({ holder, expiresAtMs: nowMs + ttlMs }).where(and(eq(jobLeases.job, job), eq(jobLeases.holder, from))).run().changes === 1;
}

/** Gives the lease up (a graceful stop): another process may take it at once. */
export function releaseLease(db: Db, job: string, holder: string): boolean {
  return db.delete(jobLeases).where(and(eq(jobLeases.job, job), eq(jobLeases.holder, holder))).run().changes === 1;
}

export function leaseOf(db: Db, job: string): JobLease | null {
  return db.select().from(jobLeases).where(eq(jobLeases.job, job)).get() ?? null;
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
