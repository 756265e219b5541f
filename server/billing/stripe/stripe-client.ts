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

/** Why a Stripe call failed, as far as retrying is concerned. */
export function failureOf(err: unknown): { retryable: boolean; retryAfterMs: number | null; status: number | null } {
  const errors = stripeSdk().errors;
  if (!(err instanceof errors.StripeError)) return { retryable: false, retryAfterMs: null, status: null };
  const status = err.statusCode ?? null;
  // No answer (network error, timeout): the request may or may not have reached Stripe; the same key makes a retry safe.
  if (err instanceof errors.StripeConnectionError || status === null) return { retryable: true, retryAfterMs: null, status };
  if (status === 429) {
    const header = err.headers?.["retry-after"];
    const seconds = header !== undefined ? Number(header) : NaN;
    return { retryable: true, retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null, status };
  }
  // 409: a request with the same key is still running at Stripe (a lock); 5xx: Stripe's side.
  // (A key reused with other parameters is a 400, not retried.)
  if (status === 409) return { retryable: true, retryAfterMs: null, status };
  if (status >= 500) return { retryable: true, retryAfterMs: null, status };
  return { retryable: false, retryAfterMs: null, status };
}

/**
 * Runs a Stripe call, retrying network errors, timeouts, 409 locks, 5xx and 429 with exponential
 * backoff (Retry-After when Stripe sends one). The call closes over its idempotency key, so every
 * attempt sends the same one. Out of attempts, a retryable failure becomes ProviderUnavailableError
 * (outcome unknown); a 4xx is rethrown as it is, for the caller to put in plain words.
 */
export async function withStripeRetries<T>(call: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const f = failureOf(err);
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
