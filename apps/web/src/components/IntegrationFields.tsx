import { integrationRules } from "@northstar/core/field-rules";
import { type CatalogueProvider, type CredentialField, urlOrigin } from "@northstar/core/providers";
import { Field } from "./Feedback.tsx";
import { formatInterval, syncIntervals } from "./Integration.tsx";

// The form pieces the integration forms share (connect, edit settings, replace credentials): the
// integration's name, the provider's fields as inputs, the sync interval, and the credentials
// asked for again when an edit points the provider's URL at another origin.

/** The name the integration goes by in this workspace. */
export function IntegrationNameField({
  id,
  value,
  onChange,
  error,
}: {
  id: string;
  value: string;
  onChange: (name: string) => void;
  error?: string | undefined;
}) {
  return (
    <Field label="Name" htmlFor={id} error={error}>
      <input
        id={id}
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
        required
        maxLength={integrationRules.nameMax}
      />
    </Field>
  );
}

/**
 * One input per field of the provider's catalogue entry; secrets are never autocompleted. A field
 * with choices (the CSV source's date format and decimal separator) is a select: a typed "DD/MM/YY"
 * would only come back as an error.
 */
export function ProviderFieldInputs({
  idPrefix,
  fields,
  values,
  onChange,
  secret = false,
}: {
  idPrefix: string;
  fields: readonly CredentialField[];
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  secret?: boolean;
}) {
  return fields.map((field) => (
    <Field
      key={field.name}
      label={`${field.label}${field.required ? "" : " (optional)"}`}
      htmlFor={`${idPrefix}-${field.name}`}
    >
      {field.choices ? (
        <select
          id={`${idPrefix}-${field.name}`}
          required={field.required}
          value={values[field.name] ?? ""}
          onChange={(event) => {
            onChange({ ...values, [field.name]: event.target.value });
          }}
        >
          {field.choices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={`${idPrefix}-${field.name}`}
          type={field.type}
          required={field.required}
          placeholder={field.placeholder}
          {...(secret ? { autoComplete: "off" } : {})}
          value={values[field.name] ?? ""}
          onChange={(event) => {
            onChange({ ...values, [field.name]: event.target.value });
          }}
        />
      )}
    </Field>
  ));
}

/** The interval choices, with the current one among them even when it is not a preset. */
export function SyncIntervalField({
  id,
  value,
  onChange,
  error,
}: {
  id: string;
  value: number;
  onChange: (seconds: number) => void;
  error?: string | undefined;
}) {
  const options = syncIntervals.some((item) => item.seconds === value)
    ? syncIntervals
    : [...syncIntervals, { seconds: value, label: formatInterval(value) }];
  return (
    <Field label="Sync" htmlFor={id} error={error}>
      <select
        id={id}
        value={value}
        onChange={(event) => {
          onChange(Number(event.target.value));
        }}
      >
        {options.map((item) => (
          <option key={item.seconds} value={item.seconds}>
            {item.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The non-empty values, as the API takes them (an empty optional field is left out). */
export function filledIn(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value.trim() !== ""));
}

/**
 * The new origin when an edit points the provider's URL (its catalogue `originField`) at another
 * site than before; null otherwise (same origin, no such field, or not a URL yet). Credentials are
 * sealed for one origin, so the API refuses such an edit without them.
 */
export function changedOrigin(
  provider: CatalogueProvider | undefined,
  before: Record<string, string>,
  after: Record<string, string>,
): string | null {
  const field = provider?.originField;
  if (!field) return null;
  const to = urlOrigin(after[field] ?? "");
  return to !== null && to !== urlOrigin(before[field] ?? "") ? to : null;
}

/** The provider's credential fields, asked for again because the URL now points at `origin`. */
export function CredentialsForNewOrigin({
  idPrefix,
  origin,
  fields,
  values,
  onChange,
}: {
  idPrefix: string;
  origin: string;
  fields: readonly CredentialField[];
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
}) {
  const optional = fields.every((field) => !field.required);
  return (
    <fieldset className="stack">
      <legend>Credentials for the new address</legend>
      <p className="callout" role="note">
        The URL now points at another site ({origin}). Credentials are only ever sent to the site they were entered for,
        so enter them again for this one{optional ? " (leave them empty if it needs none)" : ""}.
      </p>
      <ProviderFieldInputs idPrefix={idPrefix} fields={fields} values={values} onChange={onChange} secret />
    </fieldset>
  );
}
