import express, { Router, type Response } from "express";
import type { Deps } from "../deps";
import { bannerOnWire, currentBannerFor, markBannerSeen, readBannerToken } from "../notify/banner";
import { ALWAYS_EMAILED, setEmailPreference } from "../notify/notices";
import { readUnsubscribeToken } from "../notify/unsubscribe";
import type { Brand } from "../../shared/brand";
import { esc } from "../notify/render-email";
import { BANNER_EMBED_SCRIPT } from "./embed-script";
import { PROBLEM_BASE, sendProblem } from "./problem";
import { allowCrossOriginUse, inlineStylePagePolicy } from "./security-headers";

const KIND_LABEL: Record<string, string> = {
  approaching: "warnings when you approach a cap",
  reached: "notices when you reach a cap",
  sustained: "notices when your traffic outgrows your plan",
};

function pageStyle(primary: string): string {
  return `body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f8fafc;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#0f172a}
main{max-width:28rem;margin:1rem;background:#fff;border:1px solid #e2e8f0;border-radius:16px;padding:2rem}h1{font-size:1.25rem;margin:0 0 .5rem}p{color:#475569}.brand{margin:0 0 1rem;font-weight:600;color:${primary}}
button{background:${primary};color:#fff;border:0;border-radius:8px;padding:.6rem 1rem;font-weight:600;font-size:.95rem;cursor:pointer}button:focus-visible{outline:2px solid ${primary};outline-offset:2px}a{color:${primary}}`;
}

/** The unsubscribe pages in the provider's name and colour; their one inline stylesheet is allowed by its hash, nothing else inline is. */
function pageSender(brand: Brand) {
  const style = pageStyle(brand.primaryColor);
  const policy = inlineStylePagePolicy(style);
  const contact = brand.supportEmail ? `<p>Questions? Contact <a href="mailto:${esc(brand.supportEmail)}">${esc(brand.supportEmail)}</a></p>` : "";
  return (res: Response, status: number, title: string, body: string): void => {
    res.status(status).setHeader("content-security-policy", policy);
    res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · ${esc(brand.name)}</title>
<style>${style}</style></head>
<body><main><p class="brand">${esc(brand.name)}</p>${body}${contact}</main></body></html>`);
  };
}

/** Public routes authorised by a token in the URL: the embeddable banner and one-click unsubscribe. */
export function embedRoutes(deps: Deps): Router {
  const r = Router();
  const { brand } = deps.notify;
  const sendPage = pageSender(brand);

  r.use("/embed", allowCrossOriginUse);

  r.get("/embed/banner.js", (_req, res) => {
    res.type("application/javascript").setHeader("cache-control", "public, max-age=300");
    res.send(BANNER_EMBED_SCRIPT);
  });

  const bannerAccount = (req: express.Request, res: express.Response): string | null => {
    res.setHeader("cache-control", "no-store");
    const accountId = typeof req.query.token === "string" ? readBannerToken(deps.serverToken, req.query.token, deps.clock.now()) : null;
    if (!accountId) sendProblem(res, { type: `${PROBLEM_BASE}invalid-token`, title: "Invalid or expired banner token", status: 401, detail: "Get a fresh token from POST /v1/accounts/:accountId/banner-tokens." });
    return accountId;
  };

  /** The banner to show; reading it changes nothing. */
  r.get("/embed/banner", async (req, res) => {
    const accountId = bannerAccount(req, res);
    if (!accountId) return;
    const banner = bannerOnWire(await currentBannerFor(deps, accountId));
    // The customer reads it inside the provider's app: it speaks in the provider's name.
    res.json({ banner: banner && { ...banner, provider: brand.name } });
  });

  /** Sent by the embed once it has rendered the banner: the notice reached the customer now. */
  r.post("/embed/banner/seen", async (req, res) => {
    const accountId = bannerAccount(req, res);
    if (!accountId) return;
    const noticeId = typeof req.query.notice === "string" ? req.query.notice.slice(0, 100) : "";
    if (!noticeId) return void sendProblem(res, { type: `${PROBLEM_BASE}bad-request`, title: "Missing notice", status: 400, detail: "Say which notice was shown: ?notice=<noticeId>." });
    if ((await markBannerSeen(deps, accountId, noticeId)) === "not_found") return void sendProblem(res, { type: `${PROBLEM_BASE}not-found`, title: "No such notice", status: 404, detail: "This banner token's account has no notice with that id." });
    res.status(204).end();
  });

  const unsubscribe = (token: unknown) => (typeof token === "string" ? readUnsubscribeToken(deps.serverToken, token) : null);

  r.get("/unsubscribe", (req, res) => {
    const target = unsubscribe(req.query.token);
    res.setHeader("cache-control", "no-store");
    if (!target) return sendPage(res, 400, "Link not valid", "<h1>This link is not valid</h1><p>Manage your e-mail preferences in the portal's Settings.</p>");
    if (ALWAYS_EMAILED.has(target.kind)) {
      return sendPage(res, 200, "Required notice", "<h1>These e-mails cannot be turned off</h1><p>Notices that your plan's caps will start to be enforced are always sent, so that no call is ever refused without warning.</p>");
    }
    const label = KIND_LABEL[target.kind] ?? "these e-mails";
    sendPage(
      res,
      200,
      "E-mail preferences",
      `<h1>Stop e-mails about ${label}?</h1><p>You will still see these notices in your portal. Notices that enforcement is about to start are always e-mailed.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Stop these e-mails</button></form>`,
    );
  });

  // RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the List-Unsubscribe URL.
  r.post("/unsubscribe", express.urlencoded({ extended: false, limit: "2kb" }), async (req, res) => {
    const target = unsubscribe(req.query.token);
    res.setHeader("cache-control", "no-store");
    if (!target) return sendPage(res, 400, "Link not valid", "<h1>This link is not valid</h1>");
    await setEmailPreference(deps.db, target.accountId, target.kind, false);
    sendPage(res, 200, "Unsubscribed", `<h1>Done</h1><p>You will no longer receive e-mails about ${KIND_LABEL[target.kind] ?? "these notices"}. You can turn them back on in the portal's Settings.</p>`);
  });
  return r;
}
