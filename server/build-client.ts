import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Newest modification time of the files under the given paths (directories walked). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) if (entry !== "node_modules") walk(join(p, entry));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

/** True when dist/client is missing or older than any source it is built from. */
export function clientIsStale(rootDir: string): boolean {
  const index = join(rootDir, "dist/client/index.html");
  if (!existsSync(index)) return true;
  const sources = ["client", "shared", "vite.config.ts", "package-lock.json"].map((p) => join(rootDir, p));
  return newestMtime(sources) > statSync(index).mtimeMs;
}

/** Builds the SPA with Vite (a dev dependency; a production image ships dist/client prebuilt). */
export async function buildClient(rootDir: string): Promise<void> {
  const { build } = await import("vite");
  await build({ configFile: join(rootDir, "vite.config.ts"), logLevel: "warn" });
}
