// Runs in a worker thread: takes the database's write lock (BEGIN IMMEDIATE), holds it for
// `holdMs` on a timer (this thread's event loop, not the test's), then rolls back and closes.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const at = () => performance.timeOrigin + performance.now();
const db = new Database(workerData.dbPath, { fileMustExist: true });
db.pragma("busy_timeout = 10000");
db.exec("BEGIN IMMEDIATE");
parentPort.postMessage({ type: "locked", at: at() });
setTimeout(() => {
  db.exec("ROLLBACK");
  const releasedAt = at();
  db.close();
  parentPort.postMessage({ type: "released", at: releasedAt });
}, workerData.holdMs);
