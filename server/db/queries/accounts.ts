import * as pg from "../pg/queries/accounts";
import * as lite from "../sqlite/queries/accounts";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/accounts";
/** Synchronous reads, on SQLite only (see `sqliteOf`). */
export { accountRowByIdSync, planModesSync } from "../sqlite/queries/accounts";

const { accountRowByIdSync, planModesSync, ...both } = lite;
/** The accounts queries on either dialect (./dispatch). */
export const { planModes, insertAccountUnlessEmailTaken, listAccountRows, accountRowById } = twins(both, pg);
