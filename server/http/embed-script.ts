/**
 * <headroom-banner token="…"> — a small web component that shows an account's current Headroom
 * banner inside the provider's own pages. The token comes from POST /v1/accounts/:id/banner-tokens
 * (server side); the script fetches the banner from the server it was loaded from.
 */
export const BANNER_EMBED_SCRIPT = `(() => {
  const origin = new URL(document.currentScript ? document.currentScript.src : location.href).origin;
  const COLOURS = { info: ["#eef2ff", "#3730a3", "#c7d2fe"], warning: ["#fffbeb", "#92400e", "#fde68a"], critical: ["#fff1f2", "#9f1239", "#fecdd3"] };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  class HeadroomBanner extends HTMLElement {
    static get observedAttributes() { return ["token"]; }
    connectedCallback() { this.load(); }
    attributeChangedCallback() { if (this.isConnected) this.load(); }
    async load() {
      const token = this.getAttribute("token");
      const root = this.shadowRoot || this.attachShadow({ mode: "open" });
      if (!token) { root.innerHTML = ""; return; }
      try {
        const res = await fetch(origin + "/embed/banner?token=" + encodeURIComponent(token), { credentials: "omit" });
        if (!res.ok) { root.innerHTML = ""; return; }
        const { banner } = await res.json();
        if (!banner) { root.innerHTML = ""; return; }
        const [bg, fg, border] = COLOURS[banner.severity] || COLOURS.info;
        const links = banner.choices.filter((c) => c.url).map((c) => '<a part="link" href="' + esc(c.url) + '" target="_top">' + esc(c.label) + "</a>").join(" · ");
        root.innerHTML = '<style>:host{display:block;font:14px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}' +
          '.b{background:' + bg + ';color:' + fg + ';border:1px solid ' + border + ';border-radius:10px;padding:12px 16px}' +
          'small{display:block;font-size:12px;opacity:.8}strong{display:block;margin-bottom:2px}a{color:inherit;font-weight:600}</style>' +
          '<div class="b" role="status" part="banner">' + (banner.provider ? '<small part="provider">' + esc(banner.provider) + "</small>" : "") + "<strong>" + esc(banner.title) + "</strong>" + esc(banner.happened) + " " + esc(banner.next) +
          (links ? "<div>" + links + "</div>" : "") + "</div>";
        // Shown now: tell the server once per notice, so the grace period starts when the customer could read it.
        if (this.seenNotice !== banner.noticeId) {
          this.seenNotice = banner.noticeId;
          fetch(origin + "/embed/banner/seen?token=" + encodeURIComponent(token) + "&notice=" + encodeURIComponent(banner.noticeId), { method: "POST", credentials: "omit", keepalive: true }).catch(() => {});
        }
      } catch { root.innerHTML = ""; }
    }
  }
  if (!customElements.get("headroom-banner")) customElements.define("headroom-banner", HeadroomBanner);
})();
`;
