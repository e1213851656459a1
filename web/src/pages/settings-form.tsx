/** Pieces the settings sections share: labelled controls, messages, a value shown once. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { fieldErrors } from '../settings-api';
import { asApiError } from '../ui';

/** The server's message for a field: its own, or the first of its entries (`allowedOrigins.2`). */
export function messageFor(errors: Map<string, string>, name: string): string | null {
  if (errors.has(name)) return errors.get(name)!;
  for (const [field, message] of errors) {
    if (field.startsWith(`${name}.`)) return message;
  }
  return null;
}

/** A labelled control with a hint and the server's message for it beside it. */
export function Labelled(props: {
  id: string;
  label: string;
  error?: string | null;
  hint?: ComponentChildren;
  children: (aria: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: boolean;
  }) => ComponentChildren;
}) {
  const describedBy = [
    props.error ? `${props.id}-error` : null,
    props.hint ? `${props.id}-hint` : null,
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children({
        id: props.id,
        'aria-describedby': describedBy || undefined,
        'aria-invalid': props.error ? true : undefined,
      })}
      {props.hint ? (
        <span class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      {props.error ? (
        <span class="field-error" id={`${props.id}-error`}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

/** A group of checkboxes, one per choice, under a legend. */
export function Choices(props: {
  id: string;
  legend: string;
  choices: readonly string[];
  value: string[];
  onChange: (next: string[]) => void;
  error?: string | null;
  hint?: string;
}) {
  return (
    <fieldset
      class="choices"
      aria-describedby={
        props.error ? `${props.id}-error` : props.hint ? `${props.id}-hint` : undefined
      }
      aria-invalid={props.error ? true : undefined}
    >
      <legend>{props.legend}</legend>
      {props.hint ? (
        <span class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      <div class="choice-list">
        {props.choices.map((choice) => (
          <label key={choice} class="check">
            <input
              type="checkbox"
              checked={props.value.includes(choice)}
              onChange={(e) =>
                props.onChange(
                  e.currentTarget.checked
                    ? props.choices.filter((c) => c === choice || props.value.includes(c))
                    : props.value.filter((c) => c !== choice),
                )
              }
            />
            <span class={choice.includes('_') ? 'mono' : undefined}>{choice}</span>
          </label>
        ))}
      </div>
      {props.error ? (
        <span class="field-error" id={`${props.id}-error`}>
          {props.error}
        </span>
      ) : null}
    </fieldset>
  );
}

/** A form's state around one request: busy, the error (by field too) and a saved notice. */
export function useRequest() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');
  const run = async (work: () => Promise<string | void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      setNotice((await work()) ?? '');
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, errors: fieldErrors(error), notice, run, setNotice };
}

/**
 * The request's outcome for a screen reader and the eye: the saved notice, or the error the
 * form could not show beside one of its own fields.
 */
export function Outcome(props: { error: ApiError | null; notice: string; fields: string[] }) {
  const errors = fieldErrors(props.error);
  const shownBeside = [...errors.keys()].some((field) =>
    props.fields.some((name) => field === name || field.startsWith(`${name}.`)),
  );
  return (
    <div role="status" aria-live="polite" class="outcome">
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.error ? (
        <p class="form-error">
          {shownBeside
            ? 'Some settings were refused: see the messages beside them.'
            : props.error.message}
          <span class="code"> ({props.error.code})</span>
        </p>
      ) : null}
    </div>
  );
}

/** A secret shown this once, read-only, with a button that copies it. */
export function ShownOnce(props: {
  id: string;
  label: string;
  value: string;
  hint: string;
  /** Long values (a script tag) wrap in a read-only text area rather than scroll in a line. */
  multiline?: boolean;
  /** A value that is always there (not a secret shown once): no highlight. */
  plain?: boolean;
}) {
  const [copied, setCopied] = useState('');
  const copy = async (input: HTMLInputElement | HTMLTextAreaElement | null) => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('Copied.');
    } catch {
      // Without clipboard access (an insecure origin), select it for the person to copy.
      input?.select();
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  };
  return (
    <div class={props.plain ? 'copy-field' : 'shown-once'}>
      <Labelled id={props.id} label={props.label} hint={props.hint}>
        {(aria) => (
          <div class="with-button">
            {props.multiline ? (
              <textarea {...aria} class="mono" rows={3} readOnly value={props.value} />
            ) : (
              <input {...aria} class="mono" type="text" readOnly value={props.value} />
            )}
            <button
              type="button"
              onClick={(e) =>
                void copy(e.currentTarget.parentElement?.querySelector('input, textarea') ?? null)
              }
            >
              Copy
            </button>
          </div>
        )}
      </Labelled>
      <span role="status" class="hint">
        {copied}
      </span>
    </div>
  );
}

/** A destructive action asked twice, in the page (not a browser dialog). */
export function Confirmed(props: {
  label: string;
  /** More of the button's name for a screen reader (which key), beyond what it shows. */
  labelMore?: string;
  question: string;
  confirm: string;
  busy?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmButton.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        {props.label}
        {props.labelMore ? <span class="visually-hidden"> {props.labelMore}</span> : null}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>
      <button
        type="button"
        class="danger"
        disabled={props.busy}
        ref={confirmButton}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
