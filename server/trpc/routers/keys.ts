import { z } from "zod";
import { createKey, keyNameSchema, listKeys, revokeKey, type ApiKeySummary } from "../../keys/keys";
import { recordAudit } from "../../operator/audit-log";
import { customerProcedure, router } from "../trpc";

/** What the portal shows of a key: never its hash, and the account is implied by the session. */
function toView(k: ApiKeySummary) {
  return { id: k.id, name: k.name, prefix: k.prefix, createdAtMs: k.createdAtMs, lastUsedAtMs: k.lastUsedAtMs };
}

export const keysRouter = router({
  /** The signed-in customer's active keys, newest first. */
  list: customerProcedure.query(({ ctx }) => ({
    keys: listKeys(ctx.deps.db, ctx.accountId).map(toView),
    maxActiveKeys: ctx.deps.config.MAX_ACTIVE_KEYS,
  })),
  /** Creates a key; the full key is in this answer and nowhere else, ever. */
  create: customerProcedure.input(z.object({ name: keyNameSchema })).mutation(({ ctx, input }) => {
    const created = createKey(ctx.deps.db, ctx.deps.clock, { accountId: ctx.accountId, name: input.name }, { maxActiveKeys: ctx.deps.config.MAX_ACTIVE_KEYS });
    recordAudit(ctx.deps.db, ctx.deps.clock, { actor: `customer:${ctx.accountId}`, action: "key.created", accountId: ctx.accountId, details: { keyId: created.id, prefix: created.prefix, name: created.name } });
    return { ...toView(created), key: created.key };
  }),
  /** Revokes one of the customer's own keys; another account's key is NOT_FOUND. */
  revoke: customerProcedure.input(z.object({ keyId: z.string().trim().min(1, "keyId is required").max(100) })).mutation(({ ctx, input }) => {
    const revoked = revokeKey(ctx.deps.db, ctx.deps.clock, { keyId: input.keyId, accountId: ctx.accountId });
    // Effective on the next call: the meter forgets its cached keys.
    ctx.deps.meter.invalidateKeys();
    recordAudit(ctx.deps.db, ctx.deps.clock, { actor: `customer:${ctx.accountId}`, action: "key.revoked", accountId: ctx.accountId, details: { keyId: revoked.id, prefix: revoked.prefix } });
    return { ...toView(revoked), revokedAtMs: revoked.revokedAtMs };
  }),
});
