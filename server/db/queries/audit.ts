import * as pg from "../pg/queries/audit";
import * as lite from "../sqlite/queries/audit";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/audit";

/** The audit queries on either dialect (./dispatch). */
export const { insertAuditEntry, listAuditEntries } = twins(lite, pg);
