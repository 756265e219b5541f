import { createRequire } from "node:module";
import type Stripe from "stripe";

const require = createRequire(import.meta.url);
let sdk: typeof Stripe | null = null;

/**
 * The `stripe` SDK, loaded on first use: installations without STRIPE_SECRET_KEY (and every CLI
 * command but `stripe …`) do not pay for loading it. One loader for the whole server, so the error
 * classes `instanceof` checks against are the ones the client throws.
 */
export function stripeSdk(): typeof Stripe {
  sdk ??= require("stripe") as typeof Stripe;
  return sdk;
}
