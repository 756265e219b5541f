import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestServer } from "../testing/test-server";
import { preloadTags, ROUTE_MODULES } from "./route-preloads";

// A manifest as `vite build` writes it: the entry, two pages sharing a chunk with the entry and one of their own.
const manifest = {
  "index.html": { file: "assets/index-A.js", isEntry: true, imports: ["_jsx-runtime-B.js"] },
  "_jsx-runtime-B.js": { file: "assets/jsx-runtime-B.js" },
  "_card-C.js": { file: "assets/card-C.js", imports: ["_jsx-runtime-B.js"] },
  "_money-D.js": { file: "assets/money-D.js" },
  "features/plans/plans-page.tsx": { file: "assets/plans-page-E.js", isDynamicEntry: true, imports: ["_jsx-runtime-B.js", "_card-C.js", "_money-D.js"] },
  "features/keys/keys-page.tsx": { file: "assets/keys-page-G.js", isDynamicEntry: true, imports: ["_card-C.js"] },
};

const hrefs = (tags: string) => [...tags.matchAll(/<link rel="modulepreload" crossorigin href="([^"]+)">/g)].map((m) => m[1]);

describe("modulepreload hints for a page's chunks", () => {
  it("a page: its chunk and what it imports, once each, without what the entry already loads", () => {
    expect(hrefs(preloadTags(manifest, "/plans"))).toEqual(["/assets/plans-page-E.js", "/assets/card-C.js", "/assets/money-D.js"]);
    expect(hrefs(preloadTags(manifest, "/keys"))).toEqual(["/assets/keys-page-G.js", "/assets/card-C.js"]);
  });

  it("a path of no listed page, or a module missing from the manifest, gets no hints", () => {
    expect(preloadTags(manifest, "/nowhere")).toBe("");
    expect(preloadTags(manifest, "/keys-report")).toBe("");
    expect(preloadTags(manifest, "/billing")).toBe("");
    // The usage page is in the app's own script: nothing to hint.
    expect(preloadTags(manifest, "/usage")).toBe("");
  });

  it("every listed module is a page the router loads lazily (a moved page fails here)", () => {
    const router = readFileSync(join(import.meta.dirname, "../../client/app/router.tsx"), "utf8");
    for (const route of ROUTE_MODULES) {
      for (const m of route.modules) {
        expect(existsSync(join(import.meta.dirname, "../../client", m)), m).toBe(true);
        expect(router, m).toContain(`import("../${m.replace(/\.tsx$/, "")}")`);
      }
    }
  });

  it("index.html for a page carries them, read from the built manifest", async () => {
    const clientDir = mkdtempSync(join(tmpdir(), "headroom-client-"));
    mkdirSync(join(clientDir, ".vite"));
    writeFileSync(join(clientDir, ".vite", "manifest.json"), JSON.stringify(manifest));
    // As large as a built one with its first reads (compression starts at 1 kB).
    writeFileSync(join(clientDir, "index.html"), `<!doctype html><html><head><title>Headroom</title></head><body>${"<p>portal</p>".repeat(300)}</body></html>`);
    const srv = await startTestServer({ clientDir });
    try {
      const plans = await (await fetch(`${srv.url}/plans`)).text();
      expect(hrefs(plans)).toEqual(["/assets/plans-page-E.js", "/assets/card-C.js", "/assets/money-D.js"]);
      expect(plans.indexOf("modulepreload")).toBeLessThan(plans.indexOf("</head>"));
      expect(hrefs(await (await fetch(`${srv.url}/console`)).text())).toEqual([]);
      // Compressed on the way out when the browser takes it (fetch undoes it; the header says it was).
      const compressed = await fetch(`${srv.url}/plans`, { headers: { "accept-encoding": "br, gzip" } });
      expect(compressed.headers.get("content-encoding")).toBe("br");
      expect(compressed.headers.get("vary")).toMatch(/Accept-Encoding/i);
    } finally {
      await srv.stop();
      rmSync(clientDir, { recursive: true, force: true });
    }
  });
});
