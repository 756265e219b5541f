import { and, eq, lte, or } from "drizzle-orm";
import { jobLeases } from "../../schema";
import type { Db } from "../../client";

/** Who runs a singleton job, and until when. */
export type JobLease = typeof jobLeases.$inferSelect;

/**
 * Takes the job's lease until `nowMs + ttlMs`, in one statement: inserted when nobody holds it,
 * taken over when it has expired, extended when this holder has it. True when `holder` has it now.
 */
export async function acquireLease(db: Db, job: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
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
export async function takeOverLease(db: Db, job: string, from: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
  return db.update(jobLeases).set({ holder, expiresAtMs: nowMs + ttlMs }).where(and(eq(jobLeases.job, job), eq(jobLeases.holder, from))).run().changes === 1;
}

/** Gives the lease up (a graceful stop): another process may take it at once. */
export async function releaseLease(db: Db, job: string, holder: string): Promise<boolean> {
  return db.delete(jobLeases).where(and(eq(jobLeases.job, job), eq(jobLeases.holder, holder))).run().changes === 1;
}

export async function leaseOf(db: Db, job: string): Promise<JobLease | null> {
  return db.select().from(jobLeases).where(eq(jobLeases.job, job)).get() ?? null;
}
