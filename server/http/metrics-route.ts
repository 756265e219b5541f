import { Router } from "express";
import { consoleLists } from "../operator/console-lists";
import type { Deps } from "../deps";
import { PROBLEM_BASE, sendProblem } from "./problem";
import { hasServerToken } from "./server-token";

/** GET /metrics in Prometheus text format, behind the server token (it tells about every customer). */
export function metricsRoute(deps: Deps): Router {
  const r = Router();
  r.get("/metrics", async (req, res) => {
    if (!hasServerToken(req, deps.serverToken)) {
      sendProblem(res, { type: `${PROBLEM_BASE}unauthorized`, title: "Missing or wrong server token", status: 401, detail: "Scrape with Authorization: Bearer <HEADROOM_SERVER_TOKEN>." });
      return;
    }
    const m = deps.metrics;
    m.bufferDepth.set(deps.meter.pendingCount());
    m.notices.reset();
    for (const row of await consoleLists.outboxCounts(deps.db)) {
      m.notices.set({ channel: row.channel, status: row.status }, row.n);
    }
    res.setHeader("content-type", m.registry.contentType);
    res.send(await m.registry.metrics());
  });
  return r;
}
