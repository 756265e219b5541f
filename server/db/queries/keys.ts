import * as pg from "../pg/queries/keys";
import * as lite from "../sqlite/queries/keys";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/keys";

/** The keys queries on either dialect (./dispatch). */
export const { insertKeyWithinLimit, listKeyRows, revokeKeyRow } = twins(lite, pg);
