import { Router } from "express";
import type { Clock } from "../lib/clock";
import type { Meter } from "../metering/meter";
import { meter } from "../metering/middleware";
import { notFoundProblem } from "../http/problem";

const FORECAST = ["sunny", "cloudy", "light rain", "windy", "snow showers", "fog"];

/**
 * A small demo API guarded by meter(), so the whole flow can be driven with curl or a load tool:
 *   curl -H "Authorization: Bearer hr_live_…" http://localhost:3000/demo-api/weather?city=Oslo
 */
export function demoApi(deps: { meter: Meter; clock: Clock; baseUrl: () => string }): Router {
  const r = Router();
  r.use(meter({ meter: deps.meter, clock: deps.clock, portalUrl: deps.baseUrl }));
  r.get("/hello", (_req, res) => {
    res.json({ message: "Hello from the demo API. This call was metered." });
  });
  r.get("/weather", (req, res) => {
    const city = typeof req.query.city === "string" && req.query.city.trim() ? req.query.city.trim().slice(0, 60) : "Oslo";
    let h = 0;
    for (const c of city) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    res.json({ city, forecast: FORECAST[h % FORECAST.length], temperatureC: (h % 35) - 5 });
  });
  r.use(notFoundProblem);
  return r;
}
