import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";

const RULES = ["heading-order", "page-has-heading-one"];

/**
 * What is wrong with the headings on screen now, per axe's "page-has-heading-one" and "heading-order"
 * (one h1; no level skipped below it), each as "<label>: <rule> at <element>"; empty when both pass.
 * A rule axe found nothing to apply to counts as a problem too: it would hide a page without headings.
 */
export async function headingProblems(page: Page, label: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withRules(RULES).analyze();
  const problems = results.violations.flatMap((v) => v.nodes.map((n) => `${label}: ${v.id} at ${n.target.join(" ")}`));
  for (const rule of RULES) {
    if (!results.violations.some((v) => v.id === rule) && !results.passes.some((p) => p.id === rule)) problems.push(`${label}: ${rule} did not apply`);
  }
  return problems;
}
