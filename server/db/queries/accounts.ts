import * as pg from "../pg/queries/accounts";
import * as lite from "../sqlite/queries/accounts";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/accounts";

/** The accounts queries on either dialect (./dispatch). */
export const { planModes, insertAccountUnlessEmailTaken, listAccountRows, accountRowById } = twins(lite, pg);
