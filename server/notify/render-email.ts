import { DEFAULT_BRAND, type Brand } from "../../shared/brand";
import type { NoticeMessage } from "../../shared/messages";

export interface NoticeLinks {
  upgrade: string | null;
  usage: string;
  contact: string;
  preferences: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The provider's lines under every e-mail's text: who writes, where to ask, the legal link. */
export function brandTextFooter(brand: Brand): string[] {
  return [
    "—",
    brand.name,
    ...(brand.supportEmail ? [`Questions? Contact ${brand.supportEmail}`] : []),
    ...(brand.legal ? [`${brand.legal.label}: ${brand.legal.url}`] : []),
  ];
}

/**
 * Every e-mail's HTML frame in the provider's brand: its name (or logo) on top, its colour as the
 * accent (or the notice's severity colour), its support address and legal link at the bottom.
 */
export function renderEmailHtml(brand: Brand, parts: { accent?: string; body: string; footer?: string }): string {
  const accent = parts.accent ?? brand.primaryColor;
  const header = brand.logoUrl
    ? `<img src="${esc(brand.logoUrl)}" alt="${esc(brand.name)}" height="28" style="display:block;height:28px;border:0">`
    : `<span style="font-size:16px;font-weight:600;color:${brand.primaryColor}">${esc(brand.name)}</span>`;
  const footer = [
    parts.footer,
    brand.supportEmail ? `Questions? Contact <a href="mailto:${esc(brand.supportEmail)}" style="color:#64748b">${esc(brand.supportEmail)}</a>` : null,
    brand.legal ? `<a href="${esc(brand.legal.url)}" style="color:#64748b">${esc(brand.legal.label)}</a>` : null,
  ].filter(Boolean);
  return `<!doctype html><html><body style="margin:0;background:#f8fafc;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#0f172a">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px">
<tr><td style="padding:0 4px 12px">${header}</td></tr></table>
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;background:#fff;border:1px solid #e2e8f0;border-radius:12px">
<tr><td style="padding:24px;border-top:4px solid ${accent};border-radius:12px 12px 0 0">
${parts.body}
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e2e8f0;font-size:12px;color:#64748b">${footer.join("<br>")}</td></tr>
</table></td></tr></table></body></html>`;
}

/** A notice as an e-mail: a plain-text and an HTML part with the same words, and List-Unsubscribe. */
export function renderNoticeEmail(m: NoticeMessage, links: NoticeLinks, accountName: string, brand: Brand = DEFAULT_BRAND): RenderedEmail {
  const choiceLines = m.choices.map((c) => {
    const url = c.kind === "upgrade" ? links.upgrade : c.kind === "contact" ? links.contact : links.usage;
    return { ...c, url };
  });
  const text = [
    `Hello ${accountName},`,
    "",
    m.happened,
    "",
    m.next,
    "",
    "Your choices:",
    ...choiceLines.map((c) => `- ${c.label}: ${c.detail}${c.url ? `\n  ${c.url}` : ""}`),
    "",
    `See your usage: ${links.usage}`,
    "",
    `You receive this because of your API plan with ${brand.name}. E-mail preferences: ${links.preferences}`,
    "",
    ...brandTextFooter(brand),
  ].join("\n");

  // Warnings keep their severity colour; an informational notice takes the provider's.
  const colour = m.severity === "critical" ? "#be123c" : m.severity === "warning" ? "#b45309" : brand.primaryColor;
  const link = brand.primaryColor;
  const html = renderEmailHtml(brand, {
    accent: colour,
    body: `<h1 style="margin:0 0 12px;font-size:20px">${esc(m.title)}</h1>
<p style="margin:0 0 12px">Hello ${esc(accountName)},</p>
<p style="margin:0 0 12px">${esc(m.happened)}</p>
<p style="margin:0 0 16px">${esc(m.next)}</p>
<h2 style="margin:0 0 8px;font-size:16px">Your choices</h2>
<ul style="margin:0 0 16px;padding-left:20px">
${choiceLines.map((c) => `<li style="margin-bottom:8px"><strong>${c.url ? `<a href="${esc(c.url)}" style="color:${link}">${esc(c.label)}</a>` : esc(c.label)}</strong>: ${esc(c.detail)}</li>`).join("\n")}
</ul>
<p style="margin:0"><a href="${esc(links.usage)}" style="color:${link}">See your usage</a></p>`,
    footer: `You receive this because of your API plan with ${esc(brand.name)}. <a href="${esc(links.preferences)}" style="color:#64748b">E-mail preferences</a>`,
  });

  return {
    subject: m.title,
    text,
    html,
    headers: { "List-Unsubscribe": `<${links.preferences}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
  };
}
