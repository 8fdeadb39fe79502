import type { ReactNode } from "react";
import { errorMessage } from "../lib/errors.ts";

// The small pieces every page uses while it loads, when it is empty, and when it failed.

export function Skeleton({
  height = "1rem",
  width = "100%",
  className = "",
}: {
  height?: string;
  width?: string;
  className?: string;
}) {
  return <span className={`skeleton ${className}`} style={{ height, width }} aria-hidden="true" />;
}

/** A block of placeholder cards with the real cards' size, so nothing jumps when data arrives. */
export function CardSkeletons({ count, height = "11.4rem" }: { count: number; height?: string }) {
  return (
    // A status region may carry a name; a plain div may not (ARIA prohibits naming the generic role).
    <div className="card-grid" role="status" aria-busy="true" aria-label="Loading">
      {Array.from({ length: count }, (_, index) => (
        <div key={index} className="card">
          <Skeleton height={height} />
        </div>
      ))}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      <h3>{title}</h3>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="error-state" role="alert">
      <p>{errorMessage(error)}</p>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  const pct = value === null ? 0 : Math.min(100, Math.max(0, value));
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value === null ? undefined : Math.round(pct)}
      aria-valuetext={value === null ? "No progress yet" : `${Math.round(pct)}%`}
    >
      <div className={`progress-fill${pct >= 100 ? " progress-done" : ""}`} style={{ width: `${pct}%` }} />
    </div>
  );
}

type Tone = "neutral" | "good" | "warn" | "bad" | "info";

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function Field({
  label,
  error,
  hint,
  children,
  htmlFor,
}: {
  label: string;
  error?: string | undefined;
  hint?: string;
  children: ReactNode;
  htmlFor: string;
}) {
  return (
    <div className={error ? "field field-invalid" : "field"}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && !error ? <p className="field-hint">{hint}</p> : null}
      {error ? (
        <p className="field-error" id={`${htmlFor}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The error that belongs to no field of a form, if any; read out as it appears. */
export function FormError({ message }: { message: string | null }) {
  return message ? (
    <p className="form-error" role="alert">
      {message}
    </p>
  ) : null;
}

/** A form's end: the error that belongs to no field (if any), then Cancel and the submit button. */
export function FormActions({
  error,
  onCancel,
  submitLabel,
  pendingLabel,
  pending,
  disabled = false,
}: {
  error: string | null;
  onCancel: () => void;
  submitLabel: string;
  pendingLabel?: string;
  pending: boolean;
  disabled?: boolean;
}) {
  return (
    <>
      <FormError message={error} />
      <div className="actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={pending || disabled}>
          {pending && pendingLabel ? pendingLabel : submitLabel}
        </button>
      </div>
    </>
  );
}
