// Errors the core raises. Each kind maps to one exit code in the plugin and one HTTP meaning in the
// webhook, so scripts can tell a typo from a refused change from a broken cluster.
import { type Finding, formatFinding } from './rules.js';

/** The user asked for something impossible or malformed: fix the command line. */
export class IntentError extends Error {
  override name = 'IntentError';
}

/** The change is well-formed but the rules refuse the result. */
export class RuleViolation extends Error {
  override name = 'RuleViolation';
  constructor(readonly findings: Finding[]) {
    super(findings.map(formatFinding).join('\n'));
  }
}

/** A controller that fights back (Flagger, Argo Rollouts, OpenKruise) manages an object the plan edits. */
export class OwnedElsewhere extends Error {
  override name = 'OwnedElsewhere';
  constructor(readonly messages: string[]) {
    super(messages.join('\n'));
  }
}
