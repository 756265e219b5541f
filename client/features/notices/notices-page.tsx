import { Link } from "react-router";
import { paths } from "../../app/paths";
import { PageHeader } from "../../ui/page-header";
import { EmptyState, ErrorState, LoadingBlock } from "../../ui/states";
import { NoticeList } from "./components/notice-list";
import { useNotices } from "./use-notices";

export function NoticesPage() {
  const notices = useNotices();
  return (
    <>
      <PageHeader
        title="Notices"
        description={
          <>
            Everything we told you about your caps and your plan, newest first. Notices are also e-mailed; choose which in{" "}
            <Link to={paths.settings} className="font-medium text-brand-700 underline underline-offset-2 hover:text-brand-600">Settings</Link>.
          </>
        }
      />
      {notices.isPending && <LoadingBlock rows={2} label="Loading your notices…" />}
      {notices.isError && <ErrorState title="We could not load your notices" message={notices.error.message} onRetry={() => notices.refetch()} />}
      {notices.data && notices.data.length === 0 && (
        <EmptyState title="No notices yet">You will hear from us here and by e-mail before anything about your plan changes.</EmptyState>
      )}
      {notices.data && notices.data.length > 0 && <NoticeList notices={notices.data} />}
    </>
  );
}
