import file from "../../headroom.catalog.json";
import { parseCatalog } from "../catalog-file";

/** The demo's catalog (`headroom.catalog.json`), for tests that speak of its plans by name. */
export const demoCatalog = parseCatalog(file);

/** The demo plans by id, for tests. */
export const PLANS = {
  free: demoCatalog.plan("free"),
  starter: demoCatalog.plan("starter"),
  pro: demoCatalog.plan("pro"),
  business: demoCatalog.plan("business"),
  enterprise: demoCatalog.plan("enterprise"),
};
export const PLAN_LIST = demoCatalog.plans;
export const PLAN_IDS = demoCatalog.plans.map((p) => p.id);
