import type { ServerResponse } from "node:http";
import type { RequestHandler } from "express";

/** RFC 9457 problem details. `type` is a URI relative to the docs, `instance` the request id. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_BASE = "https://headroom.dev/problems/";

export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: problem.type ?? "about:blank", ...problem });
  res.writeHead(problem.status, {
    ...headers,
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

/** What an API prefix answers for a path it has no route for: 404 problem+json, never the portal's HTML. */
export const notFoundProblem: RequestHandler = (req, res) => {
  sendProblem(res, { type: `${PROBLEM_BASE}not-found`, title: "Not found", status: 404, detail: `No route ${req.method} ${req.originalUrl}.`, instance: String(res.getHeader("x-request-id") ?? "") });
};
