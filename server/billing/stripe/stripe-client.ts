import { createHash } from "node:crypto";
import type Stripe from "stripe";
import { stripeSdk } from "./stripe-sdk";
import { ProviderUnavailableError } from "../billing-provider";

export type StripeConfig = NonNullable<ConstructorParameters<typeof Stripe>[1]>;

export interface StripeClientOptions {
  /** STRIPE_API_BASE: another host for the API (stripe-mock, a test double); Stripe's own when absent. */
  apiBase?: string;
  /** Per request, before it counts as a network failure (and is retried with the same key). */
  timeoutMs?: number;
}

/**
 * The Stripe SDK as Headroom uses it. The SDK's own retries are off: every call goes through
 * withStripeRetries, which reuses our idempotency key, backs off, and honours Retry-After on 429.
 */
export function createStripeClient(secretKey: string, opts: StripeClientOptions = {}): Stripe {
  const config: StripeConfig = { maxNetworkRetries: 0, timeout: opts.timeoutMs ?? 30_000, telemetry: false, appInfo: { name: "Headroom" } };
  if (opts.apiBase) {
    const url = new URL(opts.apiBase);
    config.host = url.hostname;
    config.port = url.port || (url.protocol === "https:" ? 443 : 80);
    config.protocol = url.protocol === "http:" ? "http" : "https";
  }
  const StripeSdk = stripeSdk();
  return new StripeSdk(secretKey, config);
}

export interface RetryPolicy {
  /** Calls in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A 5xx Stripe saved for the request's idempotency key (it answered Stripe-Should-Retry: false, or
 * replayed it): the same key would only replay it, and whether the request took effect is unknown.
 * The caller re-reads the object and, if the effect is missing, sends again with a new key derived
 * from what it read (stripeMutation).
 */
export class StripeOutcomeUnknownError extends ProviderUnavailableError {
  constructor(cause: unknown) {
    super("Stripe failed while making the change, so whether it was made is not known yet. Nothing is lost: it is checked with Stripe and finished on the next try, never charged twice.", { cause });
    this.name = "StripeOutcomeUnknownError";
  }
}

/**
 * Why a Stripe call failed, as far as retrying is concerned. Stripe-Should-Retry is honoured first
 * (https://docs.stripe.com/error-low-level#idempotency): "false" means a retry with the same key would
 * change nothing (a saved 500 is replayed), "true" that it is safe and useful (a lock timeout).
 * `outcomeUnknown`: a 5xx whose retry with the key would only be replayed.
 */
export function failureOf(err: unknown): { retryable: boolean; retryAfterMs: number | null; status: number | null; outcomeUnknown: boolean } {
  const errors = stripeSdk().errors;
  if (!(err instanceof errors.StripeError)) return { retryable: false, retryAfterMs: null, status: null, outcomeUnknown: false };
  const status = err.statusCode ?? null;
  // No answer (network error, timeout): the request may or may not have reached Stripe; the same key makes a retry safe.
  if (err instanceof errors.StripeConnectionError || status === null) return { retryable: true, retryAfterMs: null, status, outcomeUnknown: false };
  const header = (name: string) => {
    const v = err.headers?.[name];
    return typeof v === "string" ? v.toLowerCase() : undefined;
  };
  const shouldRetry = header("stripe-should-retry");
  const replayed = header("idempotent-replayed") === "true";
  const none = { retryable: false, retryAfterMs: null, status, outcomeUnknown: false };
  if (status >= 500 && (shouldRetry === "false" || replayed)) return { ...none, outcomeUnknown: true };
  if (shouldRetry === "false") return none;
  if (status === 429) {
    const after = header("retry-after");
    const seconds = after !== undefined ? Number(after) : NaN;
    return { retryable: true, retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null, status, outcomeUnknown: false };
  }
  if (shouldRetry === "true") return { ...none, retryable: true };
  // 409: a request with the same key is still running at Stripe (a lock); 5xx: Stripe's side (a read, or a
  // request Stripe did not save). A key reused with other parameters is a 400, not retried.
  if (status === 409 || status >= 500) return { ...none, retryable: true };
  return none;
}

/**
 * Runs a Stripe call, retrying network errors, timeouts, 409 locks, 5xx and 429 with exponential
 * backoff (Retry-After when Stripe sends one), as Stripe-Should-Retry allows. The call closes over its
 * idempotency key, so every attempt sends the same one. A 5xx Stripe saved for the key becomes
 * StripeOutcomeUnknownError at once; out of attempts, a retryable failure becomes
 * ProviderUnavailableError (outcome unknown); a 4xx is rethrown as it is, for the caller to put in
 * plain words.
 */
export async function withStripeRetries<T>(call: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const f = failureOf(err);
      if (f.outcomeUnknown) throw new StripeOutcomeUnknownError(err);
      if (!f.retryable) throw err;
      if (attempt >= policy.attempts) {
        throw new ProviderUnavailableError("Stripe could not be reached. Nothing is lost: the change is retried with the same idempotency key, so it is never charged twice.", { cause: err });
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      // Jitter spreads retries of many callers; Retry-After is a floor.
      const delay = Math.max(f.retryAfterMs ?? 0, Math.round(backoff * (0.5 + Math.random() / 2)));
      await sleep(Math.min(delay, 60_000));
    }
  }
}

/** What a re-read of the object says about a mutation: made already (its result), or not (the state it was read in). */
export type Reread<T> = { done: T } | { state: string };

/** The key of a mutation sent again after a re-read: the first key and a digest of the state read. */
export function keyAfter(key: string, state: string): string {
  return `${key}:after:${createHash("sha256").update(state).digest("hex").slice(0, 16)}`;
}

/**
 * A mutating Stripe call that stays correct when Stripe saved a 5xx for its key (replayed for every
 * retry with that key) or no longer remembers the key (keys are pruned after at least 24 hours).
 * `resend`: the call was sent before (a change resumed later), so the object is re-read first — a key
 * Stripe has forgotten would make it again. After a saved 5xx the object is re-read: the effect is
 * there (done), or the call is sent once more with a key derived from the state read, so two processes
 * that read the same state send the same key and Stripe makes it once.
 * https://docs.stripe.com/api/idempotent_requests, https://docs.stripe.com/error-low-level#idempotency
 */
export async function stripeMutation<T>(
  policy: RetryPolicy,
  key: string,
  send: (key: string) => Promise<T>,
  reread: () => Promise<Reread<T>>,
  opts: { resend?: boolean } = {},
): Promise<T> {
  if (opts.resend) {
    const now = await reread();
    if ("done" in now) return now.done;
  }
  try {
    return await withStripeRetries(() => send(key), policy);
  } catch (err) {
    if (!(err instanceof StripeOutcomeUnknownError)) throw err;
    const now = await reread();
    if ("done" in now) return now.done;
    // A second saved 5xx stays unknown: the caller keeps its work pending and tries again later.
    return await withStripeRetries(() => send(keyAfter(key, now.state)), policy);
  }
}

/** A Stripe 4xx in words a customer can read; the plan is unchanged and nothing was charged. */
export function plainStripeRefusal(err: unknown, what: string): string {
  const errors = stripeSdk().errors;
  if (err instanceof errors.StripeCardError) {
    const reason = err.message?.replace(/\.$/, "") || "Your card was declined";
    return `${reason}, so ${what} did not go through. Nothing was charged and your plan is unchanged. Update your payment method, then preview the change again.`;
  }
  if (err instanceof errors.StripeError) {
    return `Stripe could not make ${what} (${err.message?.replace(/\.$/, "") ?? "request refused"}). Nothing was charged and your plan is unchanged.`;
  }
  return `${what} could not be made. Nothing was charged and your plan is unchanged.`;
}

export function isStripeRefusal(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof stripeSdk().errors.StripeError && !failureOf(err).retryable;
}
