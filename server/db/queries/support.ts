import * as pg from "../pg/queries/support";
import * as lite from "../sqlite/queries/support";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/support";

/** The support queries on either dialect (./dispatch). */
export const { insertSupportRequest, supportRequestsOf, supportRequestsWithAccounts, supportRequestsBetween, replyOnce, recordSatisfaction, satisfactionBetween, satisfactionFor } = twins(lite, pg);
