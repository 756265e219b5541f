import * as pg from "../pg/queries/plans";
import * as lite from "../sqlite/queries/plans";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/plans";
/** Synchronous reads, on SQLite only (see `sqliteOf`). */
export { adviceTermsNow } from "../sqlite/queries/plans";

const { adviceTermsNow, ...both } = lite;
/** The plans queries on either dialect (./dispatch). */
export const { adviceTerms, appliedPlanChanges, planIdsInUse } = twins(both, pg);
