import { Router } from "express";
import { redeemSignInLink } from "../auth/sign-in";
import { DomainError } from "../lib/domain-error";
import type { Deps } from "../deps";
import { sessionCookie } from "./cookies";

/** Where a one-time link lands: trades it for a session cookie and redirects into the SPA. */
export function authRoutes(deps: Deps): Router {
  const r = Router();
  r.get("/auth/link", async (req, res) => {
    const token = typeof req.query.token === "string" ? req.query.token : "";
    res.set("cache-control", "no-store").set("referrer-policy", "no-referrer");
    if (!token) return res.redirect(303, "/sign-in?error=invalid");
    const ttlMs = deps.config.SESSION_TTL_MINUTES * 60_000;
    try {
      const { sessionId, session } = await redeemSignInLink(deps.db, deps.clock, token, ttlMs);
      const secure = deps.baseUrl().startsWith("https:");
      res.setHeader("set-cookie", sessionCookie(sessionId, { secure, maxAgeSeconds: Math.floor(ttlMs / 1000) }));
      deps.logger.info({ role: session.role, accountId: session.accountId }, "signed in");
      return res.redirect(303, session.role === "operator" ? "/console" : "/usage");
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const reason = err.code === "EXPIRED" ? "expired" : err.code === "CONFLICT" ? "used" : "invalid";
      return res.redirect(303, `/sign-in?error=${reason}`);
    }
  });
  return r;
}
