import { and, eq, lte, or } from "drizzle-orm";
import type { PgDb } from "../client";
import { jobLeases } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/jobs.ts`: the same functions, the same answers. Each is
 * one statement, so it is atomic under READ COMMITTED: an `INSERT … ON CONFLICT DO UPDATE` locks the
 * conflicting row and re-checks the WHERE against its latest version, so of two processes racing for
 * an expired lease exactly one gets it.
 */
export type JobLease = typeof jobLeases.$inferSelect;

export async function acquireLease(db: PgDb, job: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
  const expiresAtMs = nowMs + ttlMs;
  const result = await db
    .insert(jobLeases)
    .values({ job, holder, expiresAtMs })
    .onConflictDoUpdate({ target: jobLeases.job, set: { holder, expiresAtMs }, setWhere: or(lte(jobLeases.expiresAtMs, nowMs), eq(jobLeases.holder, holder)) });
  return result.rowCount === 1;
}

export async function takeOverLease(db: PgDb, job: string, from: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
  const result = await db
    .update(jobLeases)
    .set({ holder, expiresAtMs: nowMs + ttlMs })
    .where(and(eq(jobLeases.job, job), eq(jobLeases.holder, from)));
  return result.rowCount === 1;
}

export async function releaseLease(db: PgDb, job: string, holder: string): Promise<boolean> {
  const result = await db.delete(jobLeases).where(and(eq(jobLeases.job, job), eq(jobLeases.holder, holder)));
  return result.rowCount === 1;
}

export async function leaseOf(db: PgDb, job: string): Promise<JobLease | null> {
  const [row] = await db.select().from(jobLeases).where(eq(jobLeases.job, job));
  return row ?? null;
}
