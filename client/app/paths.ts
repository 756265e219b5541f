/** Every client route in one place, so links and the router agree. */
export const paths = {
  signIn: "/sign-in",
  usage: "/usage",
  plans: "/plans",
  planChange: "/plans/change",
  keys: "/keys",
  billing: "/billing",
  notices: "/notices",
  settings: "/settings",
  console: "/console",
} as const;
