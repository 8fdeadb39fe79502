import { kpiRules } from "@northstar/core/field-rules";
import { type KpiAggregation, kpiAggregations } from "@northstar/core/kpi-progress";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { fieldErrors, formError } from "../lib/errors.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";
import { Field, FormActions } from "./Feedback.tsx";
import { useToast } from "./Toasts.tsx";

// Create a KPI, or edit one: name, what it measures, its unit, category, direction, how its values
// add up over a period (aggregation) and target.

type Kpi = RouterOutputs["kpi"]["get"];

/** Each aggregation in plain words, with the kind of KPI it suits. */
const aggregationChoices: Record<KpiAggregation, { label: string; hint: string }> = {
  SUM: { label: "Sum", hint: "counts and amounts: signups, revenue, deploys" },
  AVERAGE: { label: "Average", hint: "rates and durations: conversion %, response time" },
  LAST: { label: "Last value", hint: "levels: MRR, open tickets, headcount" },
  MIN: { label: "Lowest", hint: "the smallest value in the period" },
  MAX: { label: "Highest", hint: "the largest value in the period" },
};

function isAggregation(value: string): value is KpiAggregation {
  return (kpiAggregations as readonly string[]).includes(value);
}

interface KpiFormProps {
  kpi?: Kpi;
  categories: string[];
  onDone: (kpi: Kpi) => void;
  onCancel: () => void;
}

export function KpiForm({ kpi, categories, onDone, onCancel }: KpiFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [values, setValues] = useState({
    name: kpi?.name ?? "",
    description: kpi?.description ?? "",
    unit: kpi?.unit ?? "",
    category: kpi?.category ?? "General",
    direction: kpi?.direction ?? "HIGHER_IS_BETTER",
    aggregation: kpi?.aggregation ?? "AVERAGE",
    target: kpi?.targetValue === null || kpi?.targetValue === undefined ? "" : String(kpi.targetValue),
  });
  const [targetError, setTargetError] = useState<string | null>(null);

  const settle = async (saved: Kpi, verb: string) => {
    await queryClient.invalidateQueries(trpc.kpi.pathFilter());
    await queryClient.invalidateQueries(trpc.goal.pathFilter());
    toast.success(`KPI “${saved.name}” ${verb}.`);
    onDone(saved);
  };
  const create = useMutation(
    trpc.kpi.create.mutationOptions({ meta: { inlineErrors: true }, onSuccess: (saved) => settle(saved, "created") }),
  );
  const update = useMutation(
    trpc.kpi.update.mutationOptions({ meta: { inlineErrors: true }, onSuccess: (saved) => settle(saved, "saved") }),
  );
  const mutation = kpi ? update : create;
  const errors = fieldErrors(mutation.error);

  const set = (name: keyof typeof values) => (event: { target: { value: string } }) => {
    setValues((current) => ({ ...current, [name]: event.target.value }));
  };

  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const target = values.target.trim() === "" ? null : Number(values.target);
    if (target !== null && !Number.isFinite(target)) {
      setTargetError("Target must be a number, or empty for none");
      return;
    }
    setTargetError(null);
    const direction = values.direction === "LOWER_IS_BETTER" ? "LOWER_IS_BETTER" : "HIGHER_IS_BETTER";
    const body = {
      name: values.name,
      description: values.description,
      unit: values.unit,
      category: values.category.trim() || "General",
      direction,
      aggregation: isAggregation(values.aggregation) ? values.aggregation : "AVERAGE",
      targetValue: target,
    } as const;
    if (kpi) update.mutate({ workspaceId, kpiId: kpi.id, ...body });
    else create.mutate({ workspaceId, ...body });
  };

  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field label="Name" htmlFor={`${id}-name`} error={errors.name}>
        <input
          id={`${id}-name`}
          value={values.name}
          onChange={set("name")}
          required
          maxLength={kpiRules.nameMax}
          placeholder="Monthly recurring revenue"
        />
      </Field>
      <div className="form-row">
        <Field label="Unit" htmlFor={`${id}-unit`} error={errors.unit} hint="e.g. USD, %, users">
          <input id={`${id}-unit`} value={values.unit} onChange={set("unit")} maxLength={kpiRules.unitMax} />
        </Field>
        <Field label="Category" htmlFor={`${id}-category`} error={errors.category}>
          <input
            id={`${id}-category`}
            value={values.category}
            onChange={set("category")}
            list={`${id}-categories`}
            maxLength={kpiRules.categoryMax}
          />
          <datalist id={`${id}-categories`}>
            {categories.map((category) => (
              <option key={category} value={category} />
            ))}
          </datalist>
        </Field>
      </div>
      <div className="form-row">
        <Field label="Better when" htmlFor={`${id}-direction`} error={errors.direction}>
          <select id={`${id}-direction`} value={values.direction} onChange={set("direction")}>
            <option value="HIGHER_IS_BETTER">Higher is better</option>
            <option value="LOWER_IS_BETTER">Lower is better</option>
          </select>
        </Field>
        <Field
          label="Target"
          htmlFor={`${id}-target`}
          error={targetError ?? errors.targetValue}
          hint="Leave empty for no target"
        >
          <input id={`${id}-target`} value={values.target} onChange={set("target")} inputMode="decimal" />
        </Field>
      </div>
      <Field
        label="Adds up as"
        htmlFor={`${id}-aggregation`}
        error={errors.aggregation}
        hint={`How values add up over a day, week or month, in charts, the dashboard and goals. ${
          isAggregation(values.aggregation) ? `Suits ${aggregationChoices[values.aggregation].hint}.` : ""
        }`}
      >
        <select id={`${id}-aggregation`} value={values.aggregation} onChange={set("aggregation")}>
          {kpiAggregations.map((aggregation) => (
            <option key={aggregation} value={aggregation}>
              {aggregationChoices[aggregation].label} ({aggregationChoices[aggregation].hint})
            </option>
          ))}
        </select>
      </Field>
      <Field label="Description" htmlFor={`${id}-description`} error={errors.description}>
        <textarea
          id={`${id}-description`}
          value={values.description}
          onChange={set("description")}
          rows={3}
          maxLength={kpiRules.descriptionMax}
        />
      </Field>
      <FormActions
        error={formError(mutation.error)}
        onCancel={onCancel}
        submitLabel={kpi ? "Save KPI" : "Create KPI"}
        pendingLabel="Saving…"
        pending={mutation.isPending}
        disabled={values.name.trim() === ""}
      />
    </form>
  );
}
