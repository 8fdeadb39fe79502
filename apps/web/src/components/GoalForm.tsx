import { goalRules } from "@northstar/core/field-rules";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { fieldErrors, formError } from "../lib/errors.ts";
import { formatPercent, fromCalendarDateInput, toCalendarDateInput } from "../lib/format.ts";
import { type RouterOutputs, useTRPC, useTRPCClient } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";
import { Field, FormActions } from "./Feedback.tsx";
import { goalStatusLabels, type GoalStatus } from "./Pace.tsx";
import { useToast } from "./Toasts.tsx";

// Create or edit a goal and the KPIs it is measured by. Weights are relative: the form shows
// each as its share of the total, which is how the API weighs the goal's progress.

type Goal = RouterOutputs["goal"]["get"];
type Criterion = "REACH_TARGET" | "STAY_ABOVE" | "STAY_BELOW";

interface LinkRow {
  key: number;
  kpiId: string;
  weight: string;
  criterion: Criterion;
}

const criterionLabels: Record<Criterion, string> = {
  REACH_TARGET: "Reach target",
  STAY_ABOVE: "Stay above target",
  STAY_BELOW: "Stay below target",
};
const editableStatuses: GoalStatus[] = ["NOT_STARTED", "ON_TRACK", "AT_RISK", "OFF_TRACK", "COMPLETED"];

function weightOf(row: LinkRow): number {
  const weight = Number(row.weight);
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

export function GoalForm({ goal, onDone, onCancel }: { goal?: Goal; onDone: () => void; onCancel: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const kpis = useQuery(trpc.kpi.list.queryOptions({ workspaceId, status: "active", limit: 100 }));
  const [title, setTitle] = useState(goal?.title ?? "");
  const [description, setDescription] = useState(goal?.description ?? "");
  const [targetDate, setTargetDate] = useState(goal?.targetDate ? toCalendarDateInput(goal.targetDate) : "");
  const [status, setStatus] = useState<GoalStatus>(goal?.status ?? "NOT_STARTED");
  const [nextKey, setNextKey] = useState(100);
  const [links, setLinks] = useState<LinkRow[]>(
    () =>
      goal?.kpiLinks.map((link, index) => ({
        key: index,
        kpiId: link.kpi.id,
        weight: String(link.weight),
        criterion: link.criterion,
      })) ?? [],
  );
  const [localError, setLocalError] = useState<string | null>(null);

  const save = useMutation({
    meta: { inlineErrors: true },
    mutationFn: async () => {
      const chosen = links
        .filter((link) => link.kpiId !== "")
        .map((link) => ({ kpiId: link.kpiId, weight: weightOf(link), criterion: link.criterion }));
      const date = targetDate === "" ? null : fromCalendarDateInput(targetDate);
      if (!goal)
        return client.goal.create.mutate({ workspaceId, title, description, targetDate: date, status, kpis: chosen });
      await client.goal.update.mutate({ workspaceId, goalId: goal.id, title, description, targetDate: date, status });
      for (const link of goal.kpiLinks) {
        if (!chosen.some((row) => row.kpiId === link.kpi.id))
          await client.goal.unlinkKpi.mutate({ workspaceId, goalId: goal.id, kpiId: link.kpi.id });
      }
      let saved: Goal | null = null;
      for (const row of chosen) {
        const before = goal.kpiLinks.find((link) => link.kpi.id === row.kpiId);
        if (before?.weight === row.weight && before.criterion === row.criterion) continue;
        saved = await client.goal.linkKpi.mutate({ workspaceId, goalId: goal.id, ...row });
      }
      return saved ?? (await client.goal.get.query({ workspaceId, goalId: goal.id }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries(trpc.goal.pathFilter());
      toast.success(`Goal “${saved.title}” ${goal ? "saved" : "created"}.`);
      onDone();
    },
    onError: async () => {
      // An edit may have got halfway: show what is saved now.
      if (goal) await queryClient.invalidateQueries(trpc.goal.pathFilter());
    },
  });
  const errors = fieldErrors(save.error);
  const totalWeight = links.reduce((sum, link) => sum + (link.kpiId ? weightOf(link) : 0), 0);

  const update = (key: number, change: Partial<LinkRow>) => {
    setLinks((current) => current.map((link) => (link.key === key ? { ...link, ...change } : link)));
  };

  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const ids = links.filter((link) => link.kpiId !== "").map((link) => link.kpiId);
    if (new Set(ids).size !== ids.length) {
      setLocalError("Each KPI can be linked once.");
      return;
    }
    if (links.some((link) => link.kpiId !== "" && weightOf(link) === 0)) {
      setLocalError("Each weight must be a number greater than 0.");
      return;
    }
    setLocalError(null);
    save.mutate();
  };

  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field label="Title" htmlFor={`${id}-title`} error={errors.title}>
        <input
          id={`${id}-title`}
          value={title}
          onChange={(event) => {
            setTitle(event.target.value);
          }}
          required
          maxLength={goalRules.titleMax}
          placeholder="Reach $120k MRR"
        />
      </Field>
      <div className="form-row">
        <Field label="Target date" htmlFor={`${id}-date`} error={errors.targetDate} hint="Pace is measured against it">
          <input
            id={`${id}-date`}
            type="date"
            value={targetDate}
            onChange={(event) => {
              setTargetDate(event.target.value);
            }}
          />
        </Field>
        <Field label="Status" htmlFor={`${id}-status`} error={errors.status}>
          <select
            id={`${id}-status`}
            value={status}
            onChange={(event) => {
              setStatus(editableStatuses.find((item) => item === event.target.value) ?? "NOT_STARTED");
            }}
          >
            {editableStatuses.map((item) => (
              <option key={item} value={item}>
                {goalStatusLabels[item]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Description" htmlFor={`${id}-description`} error={errors.description}>
        <textarea
          id={`${id}-description`}
          rows={2}
          value={description}
          onChange={(event) => {
            setDescription(event.target.value);
          }}
          maxLength={goalRules.descriptionMax}
        />
      </Field>

      <fieldset className="links">
        <legend>KPIs and their weights</legend>
        {links.length === 0 ? (
          <p className="muted">Link the KPIs that measure this goal. A goal’s progress is their weighted average.</p>
        ) : null}
        {links.map((link, index) => {
          const share = totalWeight > 0 && link.kpiId ? (100 * weightOf(link)) / totalWeight : null;
          return (
            <div key={link.key} className="link-row">
              <label>
                <span className="visually-hidden">KPI {index + 1}</span>
                <select
                  value={link.kpiId}
                  aria-label={`KPI ${index + 1}`}
                  onChange={(event) => {
                    update(link.key, { kpiId: event.target.value });
                  }}
                >
                  <option value="">Choose a KPI…</option>
                  {kpis.data?.items.map((kpi) => (
                    <option key={kpi.id} value={kpi.id}>
                      {kpi.name}
                    </option>
                  ))}
                </select>
              </label>
              <label className="weight">
                <span>Weight</span>
                <input
                  aria-label={`Weight of KPI ${index + 1}`}
                  inputMode="decimal"
                  value={link.weight}
                  onChange={(event) => {
                    update(link.key, { weight: event.target.value });
                  }}
                />
              </label>
              <output className="share" aria-label={`Share of KPI ${index + 1}`}>
                {share === null ? "—" : formatPercent(share)}
              </output>
              <label>
                <span className="visually-hidden">Criterion of KPI {index + 1}</span>
                <select
                  aria-label={`Criterion of KPI ${index + 1}`}
                  value={link.criterion}
                  onChange={(event) => {
                    update(link.key, {
                      criterion:
                        (Object.keys(criterionLabels) as Criterion[]).find((item) => item === event.target.value) ??
                        "REACH_TARGET",
                    });
                  }}
                >
                  {(Object.keys(criterionLabels) as Criterion[]).map((item) => (
                    <option key={item} value={item}>
                      {criterionLabels[item]}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="button button-small button-quiet"
                aria-label={`Remove KPI ${index + 1}`}
                onClick={() => {
                  setLinks((current) => current.filter((row) => row.key !== link.key));
                }}
              >
                Remove
              </button>
            </div>
          );
        })}
        <button
          type="button"
          className="button button-small"
          onClick={() => {
            setLinks((current) => [...current, { key: nextKey, kpiId: "", weight: "1", criterion: "REACH_TARGET" }]);
            setNextKey((key) => key + 1);
          }}
        >
          Link a KPI
        </button>
      </fieldset>

      <FormActions
        error={localError ?? formError(save.error)}
        onCancel={onCancel}
        submitLabel={goal ? "Save goal" : "Create goal"}
        pendingLabel="Saving…"
        pending={save.isPending}
        disabled={title.trim() === ""}
      />
    </form>
  );
}

export { criterionLabels };
