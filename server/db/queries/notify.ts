import * as pg from "../pg/queries/notify";
import * as lite from "../sqlite/queries/notify";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/notify";

/** The notify queries on either dialect (./dispatch). */
export const { storedEmailPreference, storeEmailPreference, insertNoticeOnce, noticesOf, undismissedNoticesSince, markNoticeDelivered, findNotice, markNoticeDismissed, dueOutboxMessages, claimOutboxMessage, recordOutboxSent, recordOutboxFailure } = twins(lite, pg);
