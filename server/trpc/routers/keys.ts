import { z } from "zod";
import { issueKey, keyNameSchema, listKeys, withdrawKey, type ApiKeySummary } from "../../keys/keys";
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
  create: customerProcedure.input(z.object({ name: keyNameSchema })).mutation(async ({ ctx, input }) => {
    const created = await issueKey({ ...ctx.deps, maxActiveKeys: ctx.deps.config.MAX_ACTIVE_KEYS }, { accountId: ctx.accountId, name: input.name }, `customer:${ctx.accountId}`);
    return { ...toView(created), key: created.key };
  }),
  /** Revokes one of the customer's own keys; another account's key is NOT_FOUND. */
  revoke: customerProcedure.input(z.object({ keyId: z.string().trim().min(1, "keyId is required").max(100) })).mutation(async ({ ctx, input }) => {
    const revoked = await withdrawKey(ctx.deps, { keyId: input.keyId, accountId: ctx.accountId }, `customer:${ctx.accountId}`);
    return { ...toView(revoked), revokedAtMs: revoked.revokedAtMs };
  }),
});
