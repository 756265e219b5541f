import type { ServerResponse } from "node:http";

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
