import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * Security headers on every response of the Express app (the hot metering routes never reach it).
 * The policy is the SPA's: its scripts, styles, fonts and API calls all come from this origin.
 *
 * - `script-src 'self'` and no inline script: an injected <script> or onclick= never runs.
 * - `style-src 'self' 'unsafe-inline'`: the dialog's scroll lock (react-remove-scroll, under Radix)
 *   injects a <style> element whose contents depend on the scrollbar width, so no hash can cover it,
 *   and index.html is a static file, so there is no per-response nonce. Inline styles cannot run code.
 * - `frame-ancestors 'none'` (and `X-Frame-Options: DENY` for older browsers): no page, least of all
 *   the consent wizard, can be framed and clickjacked.
 * - `Referrer-Policy: same-origin`: one-time sign-in and unsubscribe links carry tokens in their URLs;
 *   no URL of ours, nor even our origin, is ever sent to another site. Same-origin requests keep it,
 *   so a same-origin POST still carries a real `Origin` (the tRPC guard refuses `Origin: null`).
 * - HSTS and `upgrade-insecure-requests` only when PUBLIC_URL is https: over plain http (local use,
 *   tests) they would either be ignored or break the page.
 */
export function securityHeaders(opts: { https: boolean; imageOrigins?: string[] }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "base-uri": ["'none'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        // The provider's logo (BRAND_LOGO_URL) may live on its own host.
        "img-src": ["'self'", "data:", ...(opts.imageOrigins ?? [])],
        "object-src": ["'none'"],
        "script-src": ["'self'"],
        "script-src-attr": ["'none'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        ...(opts.https ? { "upgrade-insecure-requests": [] } : {}),
      },
    },
    crossOriginOpenerPolicy: { policy: "same-origin" },
    crossOriginResourcePolicy: { policy: "same-origin" },
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: opts.https ? { maxAge: 365 * 24 * 3600, includeSubDomains: false } : false,
    xFrameOptions: { action: "deny" },
  });
}

/**
 * The policy of a server-rendered page whose only inline content is one <style> element: nothing but
 * that exact stylesheet (by its hash) is allowed, and the page may only post its own forms.
 */
export function inlineStylePagePolicy(css: string): string {
  const hash = createHash("sha256").update(css, "utf8").digest("base64");
  return `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * The embeddable banner is loaded from the provider's own pages: its script by <script src> (classic
 * or module) and its JSON by fetch, both from another origin and without credentials.
 */
export const allowCrossOriginUse: RequestHandler = (_req, res, next) => {
  res.setHeader("cross-origin-resource-policy", "cross-origin");
  res.setHeader("access-control-allow-origin", "*");
  next();
};
