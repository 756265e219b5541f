import { useQuery } from "@tanstack/react-query";
import { formatCount } from "../../../../lib/format";
import { useTRPC } from "../../../../lib/trpc";
import { Badge } from "../../../../ui/badge";
import { ErrorState, LoadingBlock } from "../../../../ui/states";
import { Section } from "../../components/section";
import { EmptyNote, TableFrame, Td, Th, THead } from "../../components/table";
import { formatDateUtc } from "../../lib/format";

/**
 * With Dodo Payments billing: the period's usage Dodo reports for each meter against what Headroom's
 * rollups sent it, and what is still waiting to be sent. Nothing when Dodo does not bill.
 */
export function DodoUsage({ accountId }: { accountId: string }) {
  const trpc = useTRPC();
  const usage = useQuery({ ...trpc.operator.dodoUsage.queryOptions({ accountId }), refetchInterval: 60_000, refetchIntervalInBackground: false });
  if (usage.data === null) return null;
  const title = "Usage at Dodo Payments";
  if (usage.isPending) return <Section title={title}><LoadingBlock rows={1} /></Section>;
  if (usage.isError) {
    if (usage.error.data?.code === "NOT_FOUND") return <Section title={title}><EmptyNote>This account has no Dodo subscription yet: nothing is sent to Dodo for it.</EmptyNote></Section>;
    return <Section title={title}><ErrorState message={usage.error.message} onRetry={() => usage.refetch()} /></Section>;
  }
  const { periodStartMs, periodEndMs, meters } = usage.data;
  if (meters.length === 0)
    return (
      <Section title={title} testId="dodo-usage">
        <EmptyNote>The product of this account's Dodo subscription bills no usage: nothing metered to compare for {formatDateUtc(periodStartMs)} – {formatDateUtc(periodEndMs - 1)}.</EmptyNote>
      </Section>
    );
  return (
    <Section title={title} description={`The billing period ${formatDateUtc(periodStartMs)} – ${formatDateUtc(periodEndMs - 1)}: what Dodo counted for each meter against what Headroom sent it.`} testId="dodo-usage">
      <TableFrame label="Usage at Dodo Payments" minWidth={640}>
        <THead>
          <tr>
            <Th>Meter</Th>
            <Th numeric>At Dodo</Th>
            <Th numeric>Sent by Headroom</Th>
            <Th numeric>Still to send</Th>
            <Th>Agreement</Th>
          </tr>
        </THead>
        <tbody className="divide-y divide-slate-100">
          {meters.map((m) => {
            // Dodo short only by what is still queued: it will agree once that is sent.
            const explained = m.differenceUnits === -m.pendingUnits;
            return (
              <tr key={m.meterId} data-testid="dodo-usage-row">
                <Td>
                  <span className="font-medium text-slate-900">{m.meterId}</span>
                  <span className="block text-xs text-slate-600">event {m.eventName}</span>
                </Td>
                <Td numeric>{formatCount(m.dodoUnits)}</Td>
                <Td numeric>{formatCount(m.headroomUnits)}</Td>
                <Td numeric>{formatCount(m.pendingUnits)}</Td>
                <Td>
                  {m.differenceUnits === 0 ? (
                    <Badge tone="good">Agrees</Badge>
                  ) : explained ? (
                    <Badge tone="warn">Sending</Badge>
                  ) : (
                    <Badge tone="bad">{`${m.differenceUnits > 0 ? "+" : "−"}${formatCount(Math.abs(m.differenceUnits))} at Dodo`}</Badge>
                  )}
                </Td>
              </tr>
            );
          })}
        </tbody>
      </TableFrame>
    </Section>
  );
}
