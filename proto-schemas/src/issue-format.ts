import type { z } from 'zod';

/**
 * Turns zod issues into one short line for logs and `ErrorBody.message`. For a failed
 * union it reports the branch that got furthest (fewest issues), which is almost
 * always the shape the sender meant, instead of zod's bare "Invalid input".
 *
 * @example
 * const r = EventIn.safeParse({ eventId: 'e1' });
 * if (!r.success) formatIssues(r.error); // "user: Invalid input: expected string, received undefined; ..."
 */
export function formatIssues(error: z.ZodError | readonly z.core.$ZodIssue[], max = 5): string {
  const issues = 'issues' in error ? error.issues : error;
  const flat = issues.flatMap((issue) => flatten(issue, []));
  const shown = flat.slice(0, max).map(({ path, message }) => `${path.length ? path.join('.') : '(root)'}: ${message}`);
  const more = flat.length > max ? `; and ${flat.length - max} more` : '';
  return shown.join('; ') + more;
}

interface FlatIssue {
  path: PropertyKey[];
  message: string;
}

function flatten(issue: z.core.$ZodIssue, prefix: PropertyKey[]): FlatIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    if (best.length > 0) return best.flatMap((inner) => flatten(inner, path));
  }
  return [{ path: path.map((p) => (typeof p === 'symbol' ? p.toString() : p)), message: issue.message }];
}
