/** Query parameters that carry a credential: a key there ends up in access logs, proxies and browser history. */
const CREDENTIAL_PARAMS = new Set(["key", "api_key", "apikey", "api-key", "access_token", "token"]);
const CREDENTIAL_IN_QUERY = /(?:^|[?&])(?:key|api_key|apikey|api-key|access_token|token)=/i;

/**
 * Whether a request URL carries a credential in its query string. Read from the raw URL (Express 5
 * parses req.query anew on every access); names with percent-escapes are decoded before the check.
 */
export function hasCredentialInQuery(url: string): boolean {
  const q = url.indexOf("?");
  if (q === -1) return false;
  const query = url.slice(q);
  if (CREDENTIAL_IN_QUERY.test(query)) return true;
  if (!query.includes("%") && !query.includes("+")) return false;
  for (const name of new URLSearchParams(query).keys()) if (CREDENTIAL_PARAMS.has(name.toLowerCase())) return true;
  return false;
}
