/**
 * Who did it, as a person reads it, from the audit actor: `operator:Dana Reyes` is Dana Reyes,
 * `operator` an operator who gave no name, `customer:<email or account>` the customer.
 */
export function actorInWords(actor: string): { who: string; role: string } {
  if (actor === "operator") return { who: "An operator", role: "console, no name given" };
  if (actor === "operator:cli") return { who: "The command line", role: "operator" };
  if (actor.startsWith("operator:")) return { who: actor.slice("operator:".length), role: "operator" };
  if (actor.startsWith("customer:")) return { who: "The customer", role: actor.slice("customer:".length) };
  if (actor === "system") return { who: "Headroom", role: "automatic" };
  if (actor === "provider") return { who: "The provider's backend", role: "server token or Stripe" };
  return { who: actor, role: "" };
}
