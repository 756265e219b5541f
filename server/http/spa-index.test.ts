import { describe, expect, it } from "vitest";
import { DEFAULT_BRAND } from "../../shared/brand";
import { BRAND_ELEMENT_ID, brandIndexHtml } from "./spa-index";

const BUILT = `<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>Headroom</title><script type="module" src="/assets/index-abc.js"></script></head><body><div id="root"></div></body></html>`;

describe("index.html in the provider's brand", () => {
  it("names the provider in the title and carries the brand as a data block nothing can break out of", () => {
    const brand = { ...DEFAULT_BRAND, name: "Acme <API> & Co", supportEmail: "help@acme.example", legal: { label: "</script><script>alert(1)</script>", url: "https://acme.example/legal" } };
    const html = brandIndexHtml(BUILT, brand);
    expect(html).toContain("<title>Acme &lt;API&gt; &amp; Co</title>");
    const block = new RegExp(`<script type="application/json" id="${BRAND_ELEMENT_ID}">(.*?)</script></head>`).exec(html);
    expect(block).not.toBeNull();
    expect(block![1]).not.toContain("<");
    expect(JSON.parse(block![1]!)).toEqual(brand);
    // The app's own script is left as built.
    expect(html).toContain(`<script type="module" src="/assets/index-abc.js"></script>`);
  });

  it("leaves Headroom's look as it is by default", () => {
    const html = brandIndexHtml(BUILT, DEFAULT_BRAND);
    expect(html).toContain("<title>Headroom</title>");
    expect(html).toContain(`"primaryColor":"#4f46e5"`);
  });
});
