import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api.ts';

/** The field a schema refusal names ("body/symbol must match ..."), so its message shows next to it. */
export function fieldOf(error: unknown): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return undefined;
  return /(?:body|querystring)\/(\w+)/.exec(error.message)?.[1];
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** A labelled form field; its error (if any) is tied to the control with aria-describedby. */
export function Field(props: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** ids for aria-describedby of a control inside <Field>. */
export const describedBy = (id: string, error?: string, hint?: boolean) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

/** Messages the person must hear as they happen: a polite live region. */
export function Status(props: { message?: string; kind?: 'info' | 'error' | 'success' }) {
  return (
    <p class={`status ${props.kind ?? 'info'}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.message ?? ''}
    </p>
  );
}

/** A page's heading, focused when the page opens so keyboard and screen-reader users start there. */
export function PageHeading(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {props.children}
    </h1>
  );
}

export function confirmAction(question: string): boolean {
  // The browser's own dialog: modal, keyboard-operable and announced by screen readers, with no code here.
  return window.confirm(question);
}

/**
 * A table that scrolls sideways on a narrow window. Keyboard users must be able to scroll it too, so the
 * box takes focus and is a named region (axe's scrollable-region-focusable).
 */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable box must be focusable to scroll by keyboard
    <section class="table-wrap" aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}
