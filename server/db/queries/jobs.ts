import * as pg from "../pg/queries/jobs";
import * as lite from "../sqlite/queries/jobs";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/jobs";

/** The jobs queries on either dialect (./dispatch). */
export const { acquireLease, takeOverLease, releaseLease, leaseOf } = twins(lite, pg);
