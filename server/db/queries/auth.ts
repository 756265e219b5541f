import * as pg from "../pg/queries/auth";
import * as lite from "../sqlite/queries/auth";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/auth";

/** The auth queries on either dialect (./dispatch). */
export const { insertSignInToken, redeemSignInToken, sessionByIdHash, deleteExpiredSession, slideSession, deleteSession, deleteExpiredAuth, accountForSignIn, queueSignInEmail } = twins(lite, pg);
