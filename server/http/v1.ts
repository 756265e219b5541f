import express, { Router, type ErrorRequestHandler } from "express";
import { createSignInLink } from "../auth/sign-in";
import { createAccount, createAccountInput, currentPeriod, getAccount } from "../accounts/accounts";
import { issueKey, listKeys, withdrawKey } from "../keys/keys";
import { getUsageOverview } from "../metering/usage-summary";
import { wireLimits } from "../metering/responses";
import { DomainError, HTTP_STATUS_BY_CODE } from "../lib/domain-error";
import type { Deps } from "../deps";
import { notFoundProblem, PROBLEM_BASE, sendProblem } from "./problem";
import { hasServerToken } from "./server-token";
import { parseOrThrow } from "./validate";
import { openApiDocument } from "./openapi";
import { bannerOnWire, bannerToken, currentBannerFor, markBannerSeen } from "../notify/banner";
import { createKeyBody, portalSessionBody } from "./v1-schemas";



const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
function keyOnWire(k: { id: string; accountId: string; name: string; prefix: string; createdAtMs: number; lastUsedAtMs: number | null; revokedAtMs: number | null }) {
  return { id: k.id, accountId: k.accountId, name: k.name, prefix: k.prefix, createdAt: iso(k.createdAtMs), lastUsedAt: iso(k.lastUsedAtMs), revokedAt: iso(k.revokedAtMs) };
}

/** REST for the provider's backend. Every route needs the server token; errors are problem+json. */
export function v1Routes(deps: Deps): Router {
  const r = Router();
  r.use(express.json({ limit: "1mb" }));
  // The API description is public: it holds no secrets and tools fetch it without credentials.
  r.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument(deps.baseUrl(), deps.catalog));
  });
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
    // The public plans as the portal shows them, with the catalog's currency and meters.
    const { currency, meters } = deps.catalog;
    res.json({ currency, meters, plans: deps.catalog.publicPlans });
  });

  r.get("/accounts/:accountId", async (req, res) => {
    const account = await getAccount(deps.db, deps.catalog, req.params.accountId);
    const overview = await getUsageOverview(deps.db, deps.meter, account, deps.clock.now());
    res.json({
      id: account.id,
      name: account.name,
      email: account.email,
      plan: account.plan.id,
      mode: account.enforcement,
      // The billing period (a month, or a year for an account billed yearly); each limit says when its window resets.
      interval: account.billingInterval,
      period: (({ startMs, endMs }) => ({ start: iso(startMs), end: iso(endMs) }))(currentPeriod(account, deps.clock.now())),
      limits: overview.limits.map((l) => ({ ...wireLimits([l])[0], state: l.state })),
      // Every meter of the catalog, the default first; `limits` above are the default meter's.
      meters: overview.meters.map((m) => ({ id: m.id, unit: m.unit, limits: m.limits.map((l) => ({ ...wireLimits([l])[0], state: l.state })) })),
    });
  });

  r.post("/accounts", async (req, res) => {
    const body = parseOrThrow(createAccountInput(deps.catalog), req.body);
    const account = await createAccount(deps.db, deps.catalog, deps.clock, body);
    res.status(201).json({ id: account.id, name: account.name, email: account.email, plan: account.plan.id });
  });

  r.get("/accounts/:accountId/keys", async (req, res) => {
    const account = await getAccount(deps.db, deps.catalog, req.params.accountId);
    res.json({ keys: (await listKeys(deps.db, account.id, { includeRevoked: req.query.includeRevoked === "true" })).map(keyOnWire) });
  });

  /** Creates a key; the answer is the only time the full key is shown. */
  r.post("/accounts/:accountId/keys", async (req, res) => {
    const body = parseOrThrow(createKeyBody, req.body ?? {});
    const created = await issueKey({ ...deps, maxActiveKeys: deps.config.MAX_ACTIVE_KEYS }, { accountId: req.params.accountId, name: body.name }, "provider");
    res.status(201).setHeader("cache-control", "no-store").json({ ...keyOnWire(created), key: created.key });
  });

  r.delete("/keys/:keyId", async (req, res) => {
    const revoked = await withdrawKey(deps, { keyId: req.params.keyId }, "provider");
    res.json(keyOnWire(revoked));
  });

  /** The in-app banner for the provider's own app: the same notice and words as the portal shows. */
  r.get("/accounts/:accountId/banner", async (req, res) => {
    res.setHeader("cache-control", "no-store");
    // The provider's backend asks in order to show it: the notice counts as delivered from now.
    const view = await currentBannerFor(deps, req.params.accountId);
    if (view && view.deliveredAtMs === null && (await markBannerSeen(deps, req.params.accountId, view.id))) view.deliveredAtMs = deps.clock.now();
    res.json({ banner: bannerOnWire(view) });
  });

  /** A short-lived token for the embeddable banner script (/embed/banner.js). */
  r.post("/accounts/:accountId/banner-tokens", async (req, res) => {
    const account = await getAccount(deps.db, deps.catalog, req.params.accountId);
    const t = bannerToken(deps.serverToken, account.id, deps.clock.now());
    res.status(201).setHeader("cache-control", "no-store").json({ token: t.token, expiresAt: iso(t.expiresAtMs) });
  });

  /** A one-time link that signs the customer into the portal (like Stripe's billing portal sessions). */
  r.post("/portal-sessions", async (req, res) => {
    const body = parseOrThrow(portalSessionBody, req.body);
    const account = await getAccount(deps.db, deps.catalog, body.accountId);
    const link = await createSignInLink(deps.db, deps.clock, { role: "customer", accountId: account.id, returnUrl: body.returnUrl ?? null });
    res.status(201).json({ url: `${deps.baseUrl()}/auth/link?token=${link.token}`, expiresAt: new Date(link.expiresAtMs).toISOString() });
  });

  r.use(notFoundProblem);
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
