import { PageHeader } from "../../ui/page-header";
import { ContactForm } from "./components/contact-form";
import { SupportRequests } from "./components/support-requests";

/** Questions to the provider's billing team and their replies (notices' "Contact us" lands here). */
export function SupportPage() {
  return (
    <>
      <PageHeader title="Support" description="Ask your provider's billing team about your plan, a charge or your limits, and read their replies." />
      <div className="space-y-8">
        <ContactForm />
        <SupportRequests />
      </div>
    </>
  );
}
