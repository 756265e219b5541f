import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  interface ProvidedContext {
    /** Where the servers under test run from: a copy of server/, shared/ and the demo catalog taken when the run began. */
    sourceDir: string;
  }
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The servers run from a snapshot of server/ and shared/ taken at the start of the run, with the
 * repository's node_modules linked in. Two reasons: the code under test cannot change in the middle
 * of a run while others edit the working tree, and `start` rebuilds the portal whenever client/ is
 * newer than dist/client — in the snapshot there is no client/ to be newer, so no server spends its
 * start-up (or a load test's cores) on a Vite build, and a half-edited client/ cannot stop the API
 * from starting. The suite never loads the portal; the built one is copied when there is one.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "headroom-rel-src-"));
  for (const part of ["server", "shared"]) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  for (const file of ["package.json", "tsconfig.json", "headroom.catalog.json"]) cpSync(join(ROOT, file), join(dir, file));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  const client = join(dir, "dist/client");
  if (existsSync(join(ROOT, "dist/client/index.html"))) cpSync(join(ROOT, "dist/client"), client, { recursive: true });
  else {
    mkdirSync(client, { recursive: true });
    writeFileSync(join(client, "index.html"), "<!doctype html><title>Headroom</title>\n");
  }
  // Newer than every copied source: the portal is not stale.
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(client, "index.html"), later, later);
  project.provide("sourceDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
