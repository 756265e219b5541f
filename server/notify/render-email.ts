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

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A notice as an e-mail: a plain-text and an HTML part with the same words, and List-Unsubscribe. */
export function renderNoticeEmail(m: NoticeMessage, links: NoticeLinks, accountName: string): RenderedEmail {
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
    `You receive this because of your API plan. E-mail preferences: ${links.preferences}`,
  ].join("\n");

  const colour = m.severity === "critical" ? "#be123c" : m.severity === "warning" ? "#b45309" : "#4338ca";
  const html = `<!doctype html><html><body style="margin:0;background:#f8fafc;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#0f172a">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;background:#fff;border:1px solid #e2e8f0;border-radius:12px">
<tr><td style="padding:24px;border-top:4px solid ${colour};border-radius:12px 12px 0 0">
<h1 style="margin:0 0 12px;font-size:20px">${esc(m.title)}</h1>
<p style="margin:0 0 12px">Hello ${esc(accountName)},</p>
<p style="margin:0 0 12px">${esc(m.happened)}</p>
<p style="margin:0 0 16px">${esc(m.next)}</p>
<h2 style="margin:0 0 8px;font-size:16px">Your choices</h2>
<ul style="margin:0 0 16px;padding-left:20px">
${choiceLines.map((c) => `<li style="margin-bottom:8px"><strong>${c.url ? `<a href="${esc(c.url)}" style="color:#4338ca">${esc(c.label)}</a>` : esc(c.label)}</strong>: ${esc(c.detail)}</li>`).join("\n")}
</ul>
<p style="margin:0"><a href="${esc(links.usage)}" style="color:#4338ca">See your usage</a></p>
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e2e8f0;font-size:12px;color:#64748b">You receive this because of your API plan. <a href="${esc(links.preferences)}" style="color:#64748b">E-mail preferences</a></td></tr>
</table></td></tr></table></body></html>`;

  return {
    subject: m.title,
    text,
    html,
    headers: { "List-Unsubscribe": `<${links.preferences}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
  };
}
