/** Small shared pieces. Every string from the server is a text child: Preact escapes it. */
import type { ComponentChildren } from 'preact';
import { ApiError } from './api';
import { onLinkClick } from './router';

export function Link(props: {
  href: string;
  class?: string;
  current?: boolean;
  onFocus?: () => void;
  children: ComponentChildren;
}) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onFocus={props.onFocus}
      onClick={(e) => onLinkClick(e, props.href)}
    >
      {props.children}
    </a>
  );
}

const STATUS_LABELS: Record<string, string> = {
  needs_human: 'needs a person',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
}

export function StatusChip(props: { status: string }) {
  return (
    <span class={`chip chip-${props.status.replace(/[^a-z_]/g, '')}`} data-status={props.status}>
      {statusLabel(props.status)}
    </span>
  );
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** An error the form could not pin to one of its fields: at the top of the form. */
export function FormError(props: { error: ApiError | null; fields?: string[] }) {
  const { error } = props;
  if (!error) return null;
  if (error.field && props.fields?.includes(error.field)) return null;
  return (
    <p class="form-error" role="alert">
      {error.message}
      {error.code ? <span class="code"> ({error.code})</span> : null}
    </p>
  );
}

/** A labelled control with the server's message for it beside it. */
export function Field(props: {
  id: string;
  label: string;
  name: string;
  error: ApiError | null;
  hint?: string;
  children: (aria: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: boolean;
  }) => ComponentChildren;
}) {
  const mine = props.error && props.error.field === props.name ? props.error : null;
  const describedBy = [mine ? `${props.id}-error` : null, props.hint ? `${props.id}-hint` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children({
        id: props.id,
        'aria-describedby': describedBy || undefined,
        'aria-invalid': mine ? true : undefined,
      })}
      {props.hint ? (
        <span class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      {mine ? (
        <span class="field-error" id={`${props.id}-error`} role="alert">
          {mine.message}
        </span>
      ) : null}
    </div>
  );
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'CLIENT', error instanceof Error ? error.message : String(error));
}

/** True when a key press belongs to a text field, not to the page's shortcuts. */
export function typing(event: KeyboardEvent): boolean {
  if (event.metaKey || event.ctrlKey || event.altKey) return true;
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  const tag = target.tagName;
  return (
    tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable === true
  );
}
