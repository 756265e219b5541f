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
  support: "/support",
  console: "/console",
  /** The operator's token sign-in: its own page, apart from the customers'. */
  consoleSignIn: "/console/sign-in",
} as const;
