import type { ServiceContext } from '../service-context.js';
import type { RiskAssessment } from './rules.js';

/** Counts a fraud decision once per rule that fired (rule "none" when none did); returns it unchanged. */
export function counted<T extends Pick<RiskAssessment, 'decision' | 'rulesFired'>>(
  ctx: ServiceContext,
  assessment: T,
): T {
  const rules = assessment.rulesFired.length ? assessment.rulesFired.map((hit) => hit.rule) : ['none'];
  for (const rule of new Set(rules)) ctx.deps.metrics.fraudDecision(assessment.decision, rule);
  return assessment;
}
