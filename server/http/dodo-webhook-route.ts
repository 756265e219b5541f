import express, { type Router } from "express";
import type { BillingContext } from "../billing/billing-context";
import type { DodoBillingProvider } from "../billing/dodo/dodo-provider";
import { DodoWebhookHandler, type DodoWebhook } from "../billing/dodo/dodo-webhooks";
import { sendProblem } from "./problem";

/**
 * POST /webhooks/dodo: mounted before any JSON body parser, because the signature is over the raw
 * bytes. Verified with the SDK's webhooks.unwrap (Standard Webhooks: `webhook-id`,
 * `webhook-timestamp`, `webhook-signature`; a timestamp more than 5 minutes from the wall clock is
 * refused). A bad, stale or missing signature gets 400 and changes nothing; a failure while
 * processing gets 500, so Dodo delivers the webhook again.
 * https://docs.dodopayments.com/developer-resources/webhooks
 */
export function dodoWebhookRoute(opts: { ctx: BillingContext; provider: DodoBillingProvider | null; webhookKey: string | null }): Router {
  const router = express.Router();
  const handler = opts.provider ? new DodoWebhookHandler(opts.ctx, opts.provider) : null;
  router.post("/webhooks/dodo", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    if (!handler || !opts.provider || !opts.webhookKey) {
      sendProblem(res, { title: "Dodo Payments webhooks are not configured", status: 404, detail: "Set DODO_PAYMENTS_API_KEY and DODO_PAYMENTS_WEBHOOK_KEY to receive Dodo events." });
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const v = req.headers[name];
      if (typeof v === "string") headers[name] = v;
    }
    if (Object.keys(headers).length !== 3 || !Buffer.isBuffer(req.body)) {
      sendProblem(res, { title: "Missing signature", status: 400, detail: "The webhook-id, webhook-timestamp and webhook-signature headers and a JSON body are required." });
      return;
    }
    let hook: DodoWebhook;
    try {
      const body = opts.provider.dodo.webhooks.unwrap(req.body.toString("utf8"), { headers, key: opts.webhookKey }) as unknown as { type?: unknown; timestamp?: unknown; data?: unknown };
      if (typeof body.type !== "string" || typeof body.data !== "object" || body.data === null) throw new Error("not a Dodo event");
      hook = { id: headers["webhook-id"]!, type: body.type, timestamp: typeof body.timestamp === "string" ? body.timestamp : undefined, data: body.data as DodoWebhook["data"] };
    } catch (err) {
      opts.ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "dodo webhook refused");
      sendProblem(res, { title: "Invalid signature", status: 400, detail: "The webhook signature does not match this body, or its timestamp is more than 5 minutes away." });
      return;
    }
    try {
      const result = await handler.handle(hook);
      res.json({ received: true, result });
    } catch (err) {
      opts.ctx.logger.error({ err, webhookId: hook.id, type: hook.type }, "dodo webhook failed; Dodo will retry it");
      sendProblem(res, { title: "Not processed", status: 500, detail: "The webhook was not processed; it will be accepted when Dodo sends it again." });
    }
  });
  return router;
}
