import type { RequestHandler } from "express";

/**
 * tRPC's Express adapter does not look at the content type, so a cross-site HTML form could POST to
 * a mutation with the customer's cookie. Mutations must be JSON and must not come from another site.
 */
export function requireSameOriginJson(baseUrl: () => string): RequestHandler {
  return (req, res, next) => {
    if (req.method !== "POST") return next();
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    const host = req.headers.host;
    const crossSite = site !== undefined && site !== "same-origin" && site !== "none";
    const foreignOrigin = origin !== undefined && origin !== "null" && !sameHost(origin, host, baseUrl());
    if (type !== "application/json" || crossSite || foreignOrigin || origin === "null") {
      res.status(403).json({ error: { message: "Cross-site or non-JSON requests are refused.", code: "FORBIDDEN" } });
      return;
    }
    next();
  };
}

function sameHost(origin: string, host: string | undefined, baseUrl: string): boolean {
  try {
    const o = new URL(origin);
    return o.host === host || o.origin === new URL(baseUrl).origin;
  } catch {
    return false;
  }
}
