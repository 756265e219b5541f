import { checkServices } from "./check-services";
import { dropStaleTestSchemas } from "./pg-database";

/** Test schemas older than this are left over from a run that died: no run takes six hours. */
const STALE_SCHEMA_MS = 6 * 60 * 60 * 1000;

/**
 * Before any test file: PostgreSQL and Redis must answer (else the run stops here with one line
 * saying which is missing and how to start it), and test schemas left by dead runs are dropped.
 */
export default async function setup(): Promise<void> {
  const problem = await checkServices();
  if (problem) {
    const error = new Error(problem);
    // The line is the whole message: where in this file it was thrown helps no one.
    error.stack = problem;
    throw error;
  }
  await dropStaleTestSchemas(STALE_SCHEMA_MS);
}
