import * as pg from "../pg/queries/catalog";
import * as lite from "../sqlite/queries/catalog";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/catalog";

/** The catalog queries on either dialect (./dispatch). */
export const { planVersionRows, insertPlanVersions, lastCatalogLoads, insertCatalogLoad, accountsPerPlanVersion, accountIdsOnPlanVersion, planVersionsInUse } = twins(lite, pg);
