import { createRequire } from "node:module";
import type DodoPayments from "dodopayments";
import type { Config } from "../../config";
import { ProviderUnavailableError } from "../billing-provider";

const require = createRequire(import.meta.url);
let sdk: typeof DodoPayments | null = null;

/** The `dodopayments` SDK, loaded on first use (installations billing elsewhere do not load it). */
export function dodoSdk(): typeof DodoPayments {
  sdk ??= require("dodopayments") as typeof DodoPayments;
  return sdk;
}

export interface DodoClientOptions {
  /** Per request (ms) before it counts as a failure whose outcome is unknown. */
  timeoutMs?: number;
  /** The SDK's own retries for reads and idempotent calls; a plan change always goes with none. */
  maxRetries?: number;
}

/**
 * The Dodo SDK as Headroom uses it: DODO_PAYMENTS_BASE_URL when set (a test double), else the
 * environment's address. The SDK reads DODO_PAYMENTS_BASE_URL from the environment by itself and
 * refuses it beside `environment`, so both are passed explicitly.
 */
export function createDodoClient(config: Pick<Config, "DODO_PAYMENTS_API_KEY" | "DODO_PAYMENTS_WEBHOOK_KEY" | "DODO_PAYMENTS_ENVIRONMENT" | "DODO_PAYMENTS_BASE_URL">, opts: DodoClientOptions = {}): DodoPayments {
  const Sdk = dodoSdk();
  const base = config.DODO_PAYMENTS_BASE_URL ?? null;
  return new Sdk({
    bearerToken: config.DODO_PAYMENTS_API_KEY!,
    webhookKey: config.DODO_PAYMENTS_WEBHOOK_KEY ?? null,
    ...(base ? { baseURL: base } : { baseURL: null, environment: config.DODO_PAYMENTS_ENVIRONMENT }),
    timeout: opts.timeoutMs ?? 30_000,
    maxRetries: opts.maxRetries ?? 2,
  });
}

/** Dodo answered with a 4xx: it refused, and nothing was done. */
export function isDodoRefusal(err: unknown): err is InstanceType<typeof DodoPayments.APIError> & { status: number } {
  const S = dodoSdk();
  return err instanceof S.APIError && !(err instanceof S.APIConnectionError) && typeof err.status === "number" && err.status >= 400 && err.status < 500 && err.status !== 429;
}

/** Dodo did not answer (timeout, connection), or answered 429/5xx: whether a change was made is unknown. */
export function isDodoUnavailable(err: unknown): boolean {
  const S = dodoSdk();
  if (err instanceof S.APIConnectionError) return true;
  return err instanceof S.APIError && typeof err.status === "number" && (err.status >= 500 || err.status === 429);
}

/** The message of a Dodo refusal, without the status code the SDK puts first. */
export function dodoMessage(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { error?: { message?: unknown } };
    if (e.error && typeof e.error.message === "string") return e.error.message;
    return err.message.replace(/^\d{3}\s+/, "");
  }
  return String(err);
}

/** Any failure to reach Dodo as the billing seam's "unknown outcome" (the change stays applying and is reconciled). */
export function unavailable(err: unknown): ProviderUnavailableError {
  return new ProviderUnavailableError(`Dodo Payments did not answer (${dodoMessage(err)}). Nothing is lost: the change is checked with Dodo before anything is sent again.`, { cause: err });
}
