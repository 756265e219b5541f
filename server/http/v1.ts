import express, { Router, type ErrorRequestHandler } from "express";
import { z } from "zod";
import { PLAN_LIST } from "../../shared/plans";
import { createSignInLink } from "../auth/sign-in";
import { getAccount } from "../accounts/accounts";
import { getUsageOverview } from "../metering/usage-summary";
import { DomainError, HTTP_STATUS_BY_CODE } from "../lib/domain-error";
import type { Deps } from "../deps";
import { PROBLEM_BASE, sendProblem } from "./problem";
import { hasServerToken } from "./server-token";
import { parseOrThrow } from "./validate";

const portalSessionBody = z.object({
  accountId: z.string().min(1, "accountId is required"),
  returnUrl: z.url({ protocol: /^https?$/, message: "returnUrl must be an http(s) URL" }).optional(),
});

/** REST for the provider's backend. Every route needs the server token; errors are problem+json. */
export function v1Routes(deps: Deps): Router {
  const r = Router();
  r.use(express.json({ limit: "1mb" }));
  r.use((req, res, next) => {
    if (hasServerToken(req, deps.serverToken)) return next();
    sendProblem(res, {
      type: `${PROBLEM_BASE}unauthorized`,
      title: "Missing or wrong server token",
      status: 401,
      detail: "Send Authorization: Bearer <HEADROOM_SERVER_TOKEN>.",
      instance: String(res.getHeader("x-request-id") ?? ""),
    }, { "www-authenticate": 'Bearer realm="headroom"' });
  });

  r.get("/plans", (_req, res) => {
    res.json({ plans: PLAN_LIST.filter((p) => p.public) });
  });

  r.get("/accounts/:accountId", (req, res) => {
    const account = getAccount(deps.db, req.params.accountId);
    const overview = getUsageOverview(deps.db, account, deps.clock.now());
    res.json({
      id: account.id,
      name: account.name,
      plan: account.plan.id,
      mode: account.enforcement,
      period: overview.period,
      limits: overview.limits.map((l) => ({ window: l.window, limit: l.limit, used: l.used, remaining: l.remaining, resetAt: new Date(l.resetAtMs).toISOString(), state: l.state })),
    });
  });

  /** A one-time link that signs the customer into the portal (like Stripe's billing portal sessions). */
  r.post("/portal-sessions", (req, res) => {
    const body = parseOrThrow(portalSessionBody, req.body);
    const account = getAccount(deps.db, body.accountId);
    const link = createSignInLink(deps.db, deps.clock, { role: "customer", accountId: account.id, returnUrl: body.returnUrl ?? null });
    res.status(201).json({ url: `${deps.baseUrl()}/auth/link?token=${link.token}`, expiresAt: new Date(link.expiresAtMs).toISOString() });
  });

  r.use((req, res) => {
    sendProblem(res, { type: `${PROBLEM_BASE}not-found`, title: "Not found", status: 404, detail: `No route ${req.method} ${req.originalUrl}.`, instance: String(res.getHeader("x-request-id") ?? "") });
  });
  r.use(problemErrorHandler(deps));
  return r;
}

/** Maps thrown errors to problem+json; nothing internal reaches the client. */
export function problemErrorHandler(deps: Deps): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const instance = String(res.getHeader("x-request-id") ?? "");
    if (err instanceof DomainError) {
      const status = HTTP_STATUS_BY_CODE[err.code];
      return sendProblem(res, {
        type: `${PROBLEM_BASE}${err.code.toLowerCase().replace(/_/g, "-")}`,
        title: err.code === "BAD_INPUT" ? "Invalid request" : err.code === "NOT_FOUND" ? "Not found" : err.code.replace(/_/g, " ").toLowerCase(),
        status,
        detail: err.message,
        instance,
        ...(err.details ?? {}),
      });
    }
    // body-parser errors (malformed JSON, too large) carry a 4xx status of their own.
    const status = typeof err?.status === "number" && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status < 500) {
      return sendProblem(res, { type: `${PROBLEM_BASE}invalid-body`, title: "Invalid request body", status, detail: status === 413 ? "The body is too large." : "The body is not valid JSON.", instance });
    }
    deps.logger.error({ err, requestId: instance, path: req.path }, "unhandled error");
    return sendProblem(res, { title: "Internal error", status: 500, detail: "Something went wrong on our side.", instance });
  };
}
