import { paths } from "../../app/paths";

/** The console's routes, all under /console; each page is deep-linkable. */
export const consolePaths = {
  shadowAudit: paths.console,
  accounts: `${paths.console}/accounts`,
  account: (accountId: string) => `${paths.console}/accounts/${encodeURIComponent(accountId)}`,
  enforcement: `${paths.console}/enforcement`,
  approvals: `${paths.console}/approvals`,
  anomalies: `${paths.console}/anomalies`,
  support: `${paths.console}/support`,
  catalog: `${paths.console}/catalog`,
  metrics: `${paths.console}/metrics`,
  experiment: `${paths.console}/experiment`,
  outbox: `${paths.console}/outbox`,
  auditLog: `${paths.console}/audit`,
} as const;
