import * as pg from "../pg/queries/experiments";
import * as lite from "../sqlite/queries/experiments";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/experiments";

/** The experiments queries on either dialect (./dispatch). */
export const { insertExperiment, activeExperiment, experimentById, listExperiments, updateExperimentBeforeStart, endExperiment, appendExperimentEvent, experimentEventsOf, cohortAccounts, servedPerAccountDay, anomaliesBetween, accountsWithApprovedChanges, paidInvoicesOf } = twins(lite, pg);
