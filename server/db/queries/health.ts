import * as pg from "../pg/queries/health";
import * as lite from "../sqlite/queries/health";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/health";

/** The health queries on either dialect (./dispatch). */
export const { databaseAnswers } = twins(lite, pg);
