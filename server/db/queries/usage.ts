import * as pg from "../pg/queries/usage";
import * as lite from "../sqlite/queries/usage";
import { twins } from "./dispatch";

export type * from "../sqlite/queries/usage";
/** Not store queries (the meter column of a meter), or synchronous reads on SQLite only (the meter's hot path, see `sqliteOf`). */
export { meterColumn, meterColumnOf, callsServedBetween, persistedUsage, dayColumns, usageDaysNow, firstUsageDayNow, callsServedNow } from "../sqlite/queries/usage";

const { meterColumn, meterColumnOf, callsServedBetween, persistedUsage, dayColumns, usageDaysNow, firstUsageDayNow, callsServedNow, ...storeQueries } = lite;
/** The usage queries on either dialect (./dispatch). */
export const { usageDays, usageDayOf, usageMinutes, firstUsageDay, hasUsage, callsServed } = twins(storeQueries, pg);
