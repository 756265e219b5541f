import { createHash } from "node:crypto";
import Database from "better-sqlite3";

/** Opens the server's SQLite file read-only (safe while it runs: WAL readers never block the writer). */
export function openReadonly(dbPath: string): Database.Database {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 2000");
  return db;
}

export function withDb<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = openReadonly(dbPath);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface Counts {
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

const sums = "coalesce(sum(allowed), 0) as allowed, coalesce(sum(would_throttle), 0) as wouldThrottle, coalesce(sum(throttled), 0) as throttled, coalesce(sum(ceiling), 0) as ceiling";

/** What the rollups hold for an account: the per-key per-minute rows and the per-account per-day rows. */
export function rollups(dbPath: string, accountId: string): { minute: Counts; day: Counts; ids: number } {
  return withDb(dbPath, (db) => ({
    minute: db.prepare(`select ${sums} from usage_minute where account_id = ?`).get(accountId) as Counts,
    day: db.prepare(`select ${sums} from usage_day where account_id = ?`).get(accountId) as Counts,
    ids: db.prepare("select count(*) from metered_ids where account_id = ?").pluck().get(accountId) as number,
  }));
}

export const served = (c: Counts) => c.allowed + c.wouldThrottle;
export const refused = (c: Counts) => c.throttled + c.ceiling;

/**
 * Columns that change without any request changing data: a session's sliding expiry is written at
 * most once a minute by every authenticated read (server/auth/sign-in.ts readSession), and a job's
 * lease is renewed every third of its length (server/jobs/singleton-jobs.ts).
 */
const VOLATILE: Record<string, string[]> = { sessions: ["last_seen_at_ms", "expires_at_ms"], job_leases: ["expires_at_ms"] };

export interface Fingerprint {
  tables: Record<string, { rows: number; hash: string }>;
}

/** Row counts and a hash of every row of every table (order-independent), volatile columns left out. */
export function fingerprint(dbPath: string): Fingerprint {
  return withDb(dbPath, (db) => {
    const names = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[];
    const tables: Fingerprint["tables"] = {};
    for (const name of names) {
      const rows = db.prepare(`select * from "${name}"`).all() as Array<Record<string, unknown>>;
      const skip = VOLATILE[name] ?? [];
      const lines = rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => !skip.includes(k)))).sort();
      tables[name] = { rows: rows.length, hash: createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16) };
    }
    return { tables };
  });
}

/** The tables whose count or hash differ. */
export function fingerprintDiff(a: Fingerprint, b: Fingerprint): string[] {
  const names = new Set([...Object.keys(a.tables), ...Object.keys(b.tables)]);
  return [...names].filter((n) => JSON.stringify(a.tables[n]) !== JSON.stringify(b.tables[n])).map((n) => `${n}: ${JSON.stringify(a.tables[n])} -> ${JSON.stringify(b.tables[n])}`);
}
