import type { ReactNode } from "react";

// A button that runs one mutation with one input: greyed out while that mutation is pending,
// and, for the ones that cannot be undone, only after the person confirms.

interface MutationButtonProps<TInput> {
  mutation: { isPending: boolean; mutate: (input: TInput) => void };
  input: TInput;
  className: string;
  children: ReactNode;
  /** Asked with window.confirm first; the mutation runs only on OK. */
  confirm?: string;
  /** Greyed out for another reason too (the mutation's own pending state always counts). */
  disabled?: boolean;
}

export function MutationButton<TInput>({
  mutation,
  input,
  className,
  children,
  confirm,
  disabled = false,
}: MutationButtonProps<TInput>) {
  return (
    <button
      type="button"
      className={className}
      disabled={mutation.isPending || disabled}
      onClick={() => {
        if (confirm === undefined || window.confirm(confirm)) mutation.mutate(input);
      }}
    >
      {children}
    </button>
  );
}
