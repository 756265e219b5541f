import type Database from "better-sqlite3";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import type { Clock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { Meter, type MeterOptions } from "../metering/meter";

/** A meter on a test database with the production defaults and the demo catalog; the timer is not started. */
export function testMeter(sqlite: Database.Database, clock: Clock, overrides: Partial<MeterOptions> = {}): Meter {
  return new Meter({
    catalog: demoCatalog,
    sqlite,
    clock,
    logger: createLogger("silent"),
    flushMs: 250,
    ceilingPerMinute: 1_000,
    graceMs: 72 * 3_600_000,
    maxLatenessMs: 24 * 3_600_000,
    ...overrides,
  });
}
