import type { Catalog } from "../../shared/catalog";
import type { WindowName } from "../../shared/plans";
import { meterColumn, type MeterColumn } from "../db/queries/usage";

/**
 * One of the catalog's meters as the meter counts it: resolved once at start and shared by every call
 * on it, so a call carries a reference, not strings built per call.
 */
export interface MeterSpec {
  id: string;
  /** What customers see it count, in the plural ("API calls", "MCP tool calls"). */
  unit: string;
  /** The catalog's default meter (its first): what a call that names no meter counts against. */
  isDefault: boolean;
  /** The values of the rollups' meter column that hold its counts. */
  column: MeterColumn;
  /**
   * The unit to name in words: undefined with a single meter (the words say "calls", as they always
   * did), the meter's unit with several.
   */
  noun: string | undefined;
  /** RateLimit policy names of its windows and of the key ceiling: the window alone with one meter, `<meter>-<window>` with several. */
  policy: Readonly<Record<WindowName | "ceiling", string>>;
}

/** A meter that the catalog does not declare was named: nothing is counted. */
export interface UnknownMeter {
  ok: false;
  reason: "unknown_meter";
  /** The meter named. */
  meter: string;
  /** The meters the catalog declares, default first. */
  meters: Array<{ id: string; unit: string }>;
}

/** The catalog's meters, by id. */
export class MeterSpecs {
  readonly all: readonly MeterSpec[];
  readonly default: MeterSpec;
  private readonly byId: ReadonlyMap<string, MeterSpec>;

  constructor(catalog: Catalog) {
    const several = catalog.meters.length > 1;
    const perMeterCeiling = catalog.data.keyCeiling === "per-meter";
    this.all = catalog.meters.map((m, i) => {
      const name = (w: string) => (several ? `${m.id}-${w}` : w);
      return {
        id: m.id,
        unit: m.unit,
        isDefault: i === 0,
        column: meterColumn(m.id, i === 0),
        noun: several ? m.unit : undefined,
        policy: { minute: name("minute"), day: name("day"), month: name("month"), ceiling: perMeterCeiling ? name("ceiling") : "ceiling" },
      };
    });
    this.default = this.all[0]!;
    this.byId = new Map(this.all.map((m) => [m.id, m]));
  }

  /** The meter with this id; the default meter when none is named; undefined for one the catalog does not declare. */
  get(id: string | undefined): MeterSpec | undefined {
    return id === undefined ? this.default : this.byId.get(id);
  }

  unknown(id: string): UnknownMeter {
    return { ok: false, reason: "unknown_meter", meter: id, meters: this.all.map((m) => ({ id: m.id, unit: m.unit })) };
  }
}
