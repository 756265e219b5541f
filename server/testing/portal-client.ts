import { cookieFrom, TEST_SERVER_TOKEN, type TestServer } from "./test-server";

/** What a tRPC v11 call answers over HTTP (no batching): the data, or the mapped error. */
export interface TrpcAnswer<T = unknown> {
  status: number;
  data: T | undefined;
  error: { message: string; data: { code: string; httpStatus: number } } | undefined;
}

/**
 * A customer's browser against a test server: signs in the way the provider's backend does
 * (POST /v1/portal-sessions, then follow the one-time link) and calls tRPC with the cookie.
 */
export class PortalClient {
  private constructor(
    private readonly srv: TestServer,
    readonly cookie: string,
  ) {}

  static async signIn(srv: TestServer, accountId: string): Promise<PortalClient> {
    const res = await fetch(`${srv.url}/v1/portal-sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ accountId }),
    });
    if (res.status !== 201) throw new Error(`portal-sessions answered ${res.status}`);
    const { url } = (await res.json()) as { url: string };
    const landed = await fetch(url, { redirect: "manual" });
    const cookie = cookieFrom(landed);
    if (!cookie) throw new Error("the sign-in link set no session cookie");
    return new PortalClient(srv, cookie);
  }

  async query<T>(path: string, input?: unknown): Promise<TrpcAnswer<T>> {
    const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return answer<T>(await fetch(`${this.srv.url}/trpc/${path}${qs}`, { headers: { cookie: this.cookie } }));
  }

  /** A mutation as the SPA sends it: JSON, same origin; the body is the raw input. */
  async mutate<T>(path: string, input: unknown): Promise<TrpcAnswer<T>> {
    const res = await fetch(`${this.srv.url}/trpc/${path}`, {
      method: "POST",
      headers: { cookie: this.cookie, "content-type": "application/json", origin: this.srv.url },
      body: JSON.stringify(input),
    });
    return answer<T>(res);
  }
}

async function answer<T>(res: Response): Promise<TrpcAnswer<T>> {
  const body = (await res.json()) as { result?: { data: T }; error?: TrpcAnswer["error"] };
  return { status: res.status, data: body.result?.data, error: body.error };
}
