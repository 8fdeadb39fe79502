import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Dialog } from "../components/Dialog.tsx";
import { Badge, CardSkeletons, EmptyState, ProgressBar } from "../components/Feedback.tsx";
import { criterionLabels, GoalForm } from "../components/GoalForm.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { MutationButton } from "../components/MutationButton.tsx";
import { goalStatusLabels, type GoalStatus, PaceBadge } from "../components/Pace.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { useToast } from "../components/Toasts.tsx";
import { formatCalendarDate, formatPercent, formatValue } from "../lib/format.ts";
import { can } from "../lib/permissions.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// Goals by status, each with its weighted progress, its pace, and what every KPI contributes. A
// KPI's value toward a goal is this month's (the workspace's time zone) as the KPI adds up.

type Goal = RouterOutputs["goal"]["list"][number];
/** What "this month" means for each kind of KPI (the cell's tooltip). */
const monthValueTitles = {
  SUM: "This month's total so far",
  AVERAGE: "This month's average so far",
  LAST: "The latest value",
  MIN: "This month's lowest value so far",
  MAX: "This month's highest value so far",
} as const;
const statusOrder: GoalStatus[] = ["ON_TRACK", "AT_RISK", "OFF_TRACK", "NOT_STARTED", "COMPLETED", "ARCHIVED"];
const statusTone = {
  NOT_STARTED: "neutral",
  ON_TRACK: "good",
  AT_RISK: "warn",
  OFF_TRACK: "bad",
  COMPLETED: "info",
  ARCHIVED: "neutral",
} as const;

function GoalCard({ goal, canWrite, onEdit }: { goal: Goal; canWrite: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug } = useWorkspace();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const settle = async (message: string) => {
    await queryClient.invalidateQueries(trpc.goal.pathFilter());
    toast.success(message);
  };
  const archive = useMutation(
    trpc.goal.archive.mutationOptions({ onSuccess: () => settle(`“${goal.title}” archived.`) }),
  );
  const remove = useMutation(trpc.goal.delete.mutationOptions({ onSuccess: () => settle(`“${goal.title}” deleted.`) }));
  const totalWeight = goal.kpiLinks.reduce((sum, link) => sum + link.weight, 0);

  return (
    <article className="card goal-card" id={`goal-${goal.id}`} aria-labelledby={`goal-title-${goal.id}`}>
      <header className="goal-card-header">
        <div>
          <h3 id={`goal-title-${goal.id}`}>{goal.title}</h3>
          <p className="muted small">
            {goal.targetDate ? `Due ${formatCalendarDate(goal.targetDate)}` : "No due date"} · status set to{" "}
            <Badge tone={statusTone[goal.status]}>{goalStatusLabels[goal.status]}</Badge>
          </p>
        </div>
        <PaceBadge pace={goal.pace} />
      </header>
      {goal.description ? <p>{goal.description}</p> : null}
      <div className="goal-progress">
        <ProgressBar value={goal.progressPct} label={`${goal.title}: weighted progress`} />
        <p className="small">
          <strong data-testid="goal-progress">{formatPercent(goal.progressPct)}</strong> done
          {goal.pace ? <span className="muted">, {formatPercent(goal.pace.expectedPct)} expected by now</span> : null}
        </p>
      </div>
      {goal.kpiLinks.length === 0 ? (
        <p className="muted">
          No KPIs linked:{" "}
          {canWrite
            ? "edit the goal to link the KPIs that measure it."
            : "an editor can link the KPIs that measure it."}
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table table-compact">
            <caption className="visually-hidden">What each KPI contributes to {goal.title}</caption>
            <thead>
              <tr>
                <th scope="col">KPI</th>
                <th scope="col" className="numeric">
                  Share
                </th>
                <th scope="col" className="hide-narrow">
                  Criterion
                </th>
                <th scope="col" className="hide-narrow">
                  This month / target
                </th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {goal.kpiLinks.map((link) => (
                <tr key={link.id}>
                  <td>
                    <Link to={`/w/${slug}/kpis/${link.kpi.id}`}>{link.kpi.name}</Link>
                  </td>
                  <td className="numeric" data-testid="kpi-share">
                    {formatPercent(totalWeight > 0 ? (100 * link.weight) / totalWeight : null)}
                  </td>
                  <td className="hide-narrow">{criterionLabels[link.criterion]}</td>
                  <td className="hide-narrow" title={monthValueTitles[link.kpi.aggregation]}>
                    {formatValue(link.kpi.currentValue, link.kpi.unit, { compact: true })} /{" "}
                    {formatValue(link.kpi.targetValue, link.kpi.unit, { compact: true })}
                  </td>
                  <td className="progress-cell">
                    <ProgressBar value={link.progressPct} label={`${link.kpi.name}: progress`} />
                    <span className="small">{formatPercent(link.progressPct)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canWrite ? (
        <div className="actions">
          <button type="button" className="button button-small" onClick={onEdit}>
            Edit
          </button>
          {goal.status !== "ARCHIVED" ? (
            <MutationButton className="button button-small" mutation={archive} input={{ workspaceId, goalId: goal.id }}>
              Archive
            </MutationButton>
          ) : null}
          {confirmDelete ? (
            <>
              <MutationButton
                className="button button-small button-danger"
                mutation={remove}
                input={{ workspaceId, goalId: goal.id }}
              >
                Delete for good
              </MutationButton>
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  setConfirmDelete(false);
                }}
              >
                Keep it
              </button>
            </>
          ) : (
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => {
                setConfirmDelete(true);
              }}
            >
              Delete…
            </button>
          )}
        </div>
      ) : null}
    </article>
  );
}

export function Goals() {
  const trpc = useTRPC();
  const { id: workspaceId, role } = useWorkspace();
  const [showArchived, setShowArchived] = useState(false);
  const [editing, setEditing] = useState<Goal | "new" | null>(null);
  const goals = useQuery(trpc.goal.list.queryOptions({ workspaceId, includeArchived: showArchived }));
  const canWrite = can(role, "goal.write");
  // The header and the empty page offer the same first step: a new goal.
  const createButton = (label: string) =>
    canWrite ? (
      <button
        type="button"
        className="button button-primary"
        onClick={() => {
          setEditing("new");
        }}
      >
        {label}
      </button>
    ) : null;

  return (
    <div className="page">
      <PageHeader
        title="Goals"
        description="Progress is the weighted average of the linked KPIs; pace compares it with the time gone."
        actions={createButton("New goal")}
      />
      <div className="toolbar">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={showArchived}
            onChange={(event) => {
              setShowArchived(event.target.checked);
            }}
          />{" "}
          Show archived goals
        </label>
      </div>
      <Loaded query={goals} placeholder={<CardSkeletons count={3} height="12rem" />}>
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No goals yet" action={createButton("Set your first goal")}>
              A goal links KPIs to a target date, weighs them, and tells you whether the team is on pace.
            </EmptyState>
          ) : (
            statusOrder.map((status) => {
              const group = list.filter((goal) => goal.status === status);
              if (group.length === 0) return null;
              return (
                <section key={status} className="section" aria-labelledby={`status-${status}`}>
                  <h2 id={`status-${status}`} className="category-title">
                    {goalStatusLabels[status]} <span className="muted">({group.length})</span>
                  </h2>
                  <div className="stack">
                    {group.map((goal) => (
                      <GoalCard
                        key={goal.id}
                        goal={goal}
                        canWrite={canWrite}
                        onEdit={() => {
                          setEditing(goal);
                        }}
                      />
                    ))}
                  </div>
                </section>
              );
            })
          )
        }
      </Loaded>
      <Dialog
        open={editing !== null}
        title={editing === "new" ? "New goal" : "Edit goal"}
        onClose={() => {
          setEditing(null);
        }}
        wide
      >
        {editing !== null ? (
          <GoalForm
            goal={editing === "new" ? undefined : editing}
            onCancel={() => {
              setEditing(null);
            }}
            onDone={() => {
              setEditing(null);
            }}
          />
        ) : null}
      </Dialog>
    </div>
  );
}
