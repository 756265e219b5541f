import * as pg from "../pg/queries/demo";
import * as lite from "../sqlite/queries/demo";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/demo";

/** The demo queries on either dialect (./dispatch). */
export const { insertDemo } = twins(lite, pg);
