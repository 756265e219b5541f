import { createSupportRequest, customerSupportRequests, supportRequestInput } from "../../operator/support";
import { customerProcedure, router } from "../trpc";

/** "Contact us" about billing, from the portal; the operators' queue is in the console. */
export const supportRouter = router({
  create: customerProcedure.input(supportRequestInput).mutation(async ({ ctx, input }) => {
    const r = await createSupportRequest(ctx.deps.db, ctx.deps.clock, ctx.accountId, input);
    return { id: r.id, createdAtMs: r.createdAtMs };
  }),
  list: customerProcedure.query(async ({ ctx }) =>
    (await customerSupportRequests(ctx.deps.db, ctx.accountId)).map((r) => ({ id: r.id, topic: r.topic, message: r.message, createdAtMs: r.createdAtMs, reply: r.reply, repliedAtMs: r.repliedAtMs })),
  ),
});
