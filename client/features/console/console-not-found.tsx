import { Link } from "react-router";
import { PageHeader } from "../../ui/page-header";
import { EmptyState } from "../../ui/states";
import { consolePaths } from "./console-paths";

export function ConsoleNotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState title="There is no console page at this address">
        <Link to={consolePaths.shadowAudit} className="font-medium text-brand-700 underline underline-offset-2">Go to the shadow audit</Link>
      </EmptyState>
    </>
  );
}
