import { useEffect, useRef } from 'preact/hooks';
import type { FieldIssue } from '../api/types';

/**
 * The API's field errors (`details: [{field, message}]`) shown where they belong: next to the
 * input named by `field` (`filters.users.dateFrom`, `columns.users[2]`), and in a summary at the
 * top of the form that links to each field, as the GOV.UK error summary pattern does.
 */

/** The DOM id of the input for an API field name. */
export function fieldId(field: string): string {
  return `field-${field.replace(/[^A-Za-z0-9_]+/g, '-').replace(/-+$/, '')}`;
}

/** Issues about `field` itself, or (nested) about any part of it: `tables` covers `tables[1]`. */
export function issuesFor(issues: readonly FieldIssue[], field: string, nested = false): FieldIssue[] {
  return issues.filter(
    (issue) =>
      issue.field === field ||
      (nested && (issue.field.startsWith(`${field}[`) || issue.field.startsWith(`${field}.`))),
  );
}

/** Attributes that tie an input to its error message. */
export function invalidProps(issues: readonly FieldIssue[], field: string, nested = false) {
  const mine = issuesFor(issues, field, nested);
  return mine.length > 0
    ? { 'aria-invalid': true as const, 'aria-describedby': `${fieldId(field)}-error` }
    : {};
}

/** The message(s) under one field; nothing when it has none. */
export function FieldError({
  issues,
  field,
  nested = false,
}: {
  issues: readonly FieldIssue[];
  field: string;
  nested?: boolean;
}) {
  const mine = issuesFor(issues, field, nested);
  if (mine.length === 0) return null;
  return (
    <p id={`${fieldId(field)}-error`} class="field-error" data-field={field}>
      {mine.map((issue) => (
        <span key={issue.field + issue.message}>
          {issue.field !== field && <code>{issue.field}</code>} {issue.message}
        </span>
      ))}
    </p>
  );
}

/** Every issue at the top of the form, focused when it appears so keyboard and screen-reader users land on it. */
export function ErrorSummary({ issues, title }: { issues: readonly FieldIssue[]; title: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (issues.length > 0) ref.current?.focus();
  }, [issues]);
  if (issues.length === 0) return null;
  return (
    <div class="notice notice-error error-summary" role="alert" tabIndex={-1} ref={ref}>
      <strong>{title}</strong>
      <ul>
        {issues.map((issue) => (
          <li key={issue.field + issue.message}>
            <a href={`#${fieldId(issue.field)}`}>
              <code>{issue.field}</code>: {issue.message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
