import type DodoPayments from "dodopayments";
import type { Catalog } from "../../../shared/catalog";
import { billedMeterEvents, type PlanVersionRef } from "../stripe/stripe-catalog";
import { USAGE_VALUE_KEY } from "./dodo-usage";

export interface DodoMeterAction {
  eventName: string;
  action: "created" | "unchanged";
  id: string;
}

/**
 * Creates in Dodo Payments the usage meters the catalog bills (https://docs.dodopayments.com/api-reference/meters/create-meter;
 * "Usage Based Billing": a meter aggregates the events of one event name), one per event name the usage
 * reporter sends, each summing the events' `metadata.value`. Meters that exist (by event name) are left as
 * they are, so a second run creates nothing. Attach them to the plans' products in Dodo's dashboard.
 */
export async function syncDodoMeters(dodo: DodoPayments, catalog: Catalog, inUse: readonly PlanVersionRef[] = []): Promise<DodoMeterAction[]> {
  const existing = new Map<string, string>();
  for await (const m of dodo.meters.list()) existing.set(m.event_name, m.id);
  const actions: DodoMeterAction[] = [];
  for (const [eventName, { displayName, unit }] of billedMeterEvents(catalog, inUse)) {
    const found = existing.get(eventName);
    if (found) {
      actions.push({ eventName, action: "unchanged", id: found });
      continue;
    }
    // A create is not idempotent at Dodo: it runs once, and a failed run is repaired by running again (it reads first).
    const created = await dodo.meters.create({ name: displayName, event_name: eventName, measurement_unit: unit, aggregation: { type: "sum", key: USAGE_VALUE_KEY } }, { maxRetries: 0 });
    existing.set(eventName, created.id);
    actions.push({ eventName, action: "created", id: created.id });
  }
  return actions;
}
