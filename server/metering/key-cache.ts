import { hashKey } from "../keys/keys";

export interface KeyEntry {
  keyId: string;
  accountId: string;
  revoked: boolean;
}

/**
 * Customer keys by their SHA-256, cached after the first lookup (the raw key is never kept). Cleared
 * when a key is created or revoked here, or when another process committed (the change feed).
 */
export class KeyCache {
  private readonly byHash = new Map<string, KeyEntry>();

  constructor(private readonly load: (hash: string) => { id: string; accountId: string; revokedAtMs: number | null } | undefined) {}

  get(key: string): KeyEntry | null {
    const hash = hashKey(key);
    let entry = this.byHash.get(hash);
    if (!entry) {
      const row = this.load(hash);
      if (!row) return null;
      entry = { keyId: row.id, accountId: row.accountId, revoked: row.revokedAtMs !== null };
      this.byHash.set(hash, entry);
    }
    return entry;
  }

  /** The key was found before and is kept: get() reads nothing. */
  has(key: string): boolean {
    return this.byHash.has(hashKey(key));
  }

  clear(): void {
    this.byHash.clear();
  }
}
