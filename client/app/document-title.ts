import { useEffect } from "react";
import { useMatches } from "react-router";
import { useSession } from "../features/session/use-session";
import { useBrand } from "./brand";

/**
 * What a route says about the tab's title (its `handle`): the page's own name, and for a layout
 * route the part every page inside it adds (the customer's account, or "Console").
 */
export interface TitleHandle {
  title?: string;
  titleScope?: "account" | "console";
}

/** "Usage · Acme Analytics · Acme API": the page, its scope, the provider; empty parts left out. */
export function documentTitle(handles: ReadonlyArray<unknown>, accountName: string | null, brandName: string): string {
  const own = handles.filter((h): h is TitleHandle => typeof h === "object" && h !== null);
  const page = own.findLast((h) => h.title)?.title;
  const scope = own.findLast((h) => h.titleScope)?.titleScope;
  const scopePart = scope === "console" ? "Console" : scope === "account" ? accountName : null;
  return [page, scopePart, brandName].filter(Boolean).join(" · ");
}

/** Sets the tab's title; the one place document.title is written. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title;
  }, [title]);
}

/** The title of the route on screen, from the matched routes' handles (client/app/router.tsx, console-routes.tsx). */
export function useRouteTitle(): void {
  const matches = useMatches();
  const session = useSession();
  const brand = useBrand();
  const accountName = session.data?.role === "customer" ? session.data.account.name : null;
  useDocumentTitle(documentTitle(matches.map((m) => m.handle), accountName, brand.name));
}
