import { accountForSignIn, queueSignInEmail } from "../db/queries/auth";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import { newId } from "../lib/ids";
import { newSignInLink, SIGN_IN_LINK_TTL_MS } from "./sign-in";
import type { Brand } from "../../shared/brand";
import { brandTextFooter, esc, renderEmailHtml } from "../notify/render-email";

/** At most this many sign-in e-mails per address per hour. */
const MAX_PER_HOUR = 5;

/**
 * Queues a one-time sign-in link for the account with this e-mail, if there is one. The caller
 * answers the same either way, so the form does not reveal which addresses have accounts.
 */
export async function requestEmailSignIn(db: Store, clock: Clock, input: { email: string; baseUrl: string; smtp: boolean; brand: Brand }): Promise<void> {
  const email = input.email.trim().toLowerCase();
  const account = await accountForSignIn(db, email);
  if (!account) return;
  const now = clock.now();
  const { link, row } = newSignInLink(clock, { role: "customer", accountId: account.id });
  const url = `${input.baseUrl}/auth/link?token=${link.token}`;
  const minutes = Math.round(SIGN_IN_LINK_TTL_MS / 60_000);
  const { brand } = input;
  const text = [
    `Hello ${account.name},\n\nOpen this link to sign in to your ${brand.name} portal. It works once and expires in ${minutes} minutes:\n\n${url}\n\nIf you did not ask for it, you can ignore this e-mail.`,
    "",
    ...brandTextFooter(brand),
  ].join("\n");
  const html = renderEmailHtml(brand, {
    body: `<p style="margin:0 0 12px">Hello ${esc(account.name)},</p><p style="margin:0 0 12px">Open this link to sign in to your ${esc(brand.name)} portal. It works once and expires in ${minutes} minutes:</p><p style="margin:0 0 12px"><a href="${esc(url)}" style="color:${brand.primaryColor}">Sign in to the portal</a></p><p style="margin:0;color:#64748b">If you did not ask for it, you can ignore this e-mail.</p>`,
  });
  // The link is stored only with its e-mail, and neither once the address had its share this hour.
  await queueSignInEmail(db, {
    link: row,
    message: {
      id: newId("msg"),
      accountId: account.id,
      channel: "email",
      dedupeKey: `sign-in:${link.token.slice(0, 16)}`,
      recipient: account.email,
      subject: "Your sign-in link",
      payloadJson: JSON.stringify({ text, html, headers: {} }),
      status: input.smtp ? "pending" : "stored",
      nextAttemptAtMs: now,
      createdAtMs: now,
    },
    sinceMs: now - 3_600_000,
    max: MAX_PER_HOUR,
  });
}
