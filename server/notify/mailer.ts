import nodemailer from "nodemailer";

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Stable per outbox row, so a repeated send after a crash carries the same Message-ID. */
  messageId: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** SMTP through nodemailer (SMTP_URL); the server must accept the message for the send to succeed. */
export function smtpMailer(smtpUrl: string, from: string | { name: string; address: string }): Mailer {
  const transport = nodemailer.createTransport(smtpUrl, { from });
  return {
    async send(email) {
      await transport.sendMail({ from, to: email.to, subject: email.subject, text: email.text, html: email.html, headers: email.headers, messageId: email.messageId });
    },
    close: () => transport.close(),
  };
}
