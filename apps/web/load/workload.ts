import type { Person, Workspace } from "./arrange.ts";
import type { Answer, Stats, TrpcClient } from "./client.ts";
import { Ledger } from "./ledger.ts";

// One load client: a signed-in person doing what their role allows, as the web app would, with a
// short think time between requests: dashboards (kpi.summary with kpi.series in one batch), goal
// lists, recording points, importing small CSVs, editing their goals, pressing "sync now". Every
// write goes into the client's ledger, acknowledged or not.

const dayMs = 86_400_000;
const goalStatuses = ["NOT_STARTED", "ON_TRACK", "AT_RISK", "OFF_TRACK"] as const;

type Action = "dashboard" | "goals" | "series" | "record" | "import" | "editGoal" | "syncNow";

// Weights per role: viewers read; editors also write; managers also press "sync now".
const viewerMix: [Action, number][] = [
  ["dashboard", 6],
  ["goals", 2],
  ["series", 2],
];
const editorMix: [Action, number][] = [
  ["dashboard", 4],
  ["goals", 1],
  ["record", 3],
  ["import", 1],
  ["editGoal", 1],
];
const managerMix: [Action, number][] = [...editorMix, ["syncNow", 1]];

/** A small deterministic PRNG (mulberry32): each client's run is the same for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const acknowledged = (answer: Answer) => answer.status === 200 && answer.codes.every((code) => code === null);

export class LoadClient {
  private readonly person: Person;
  private readonly workspace: Workspace;
  private readonly trpc: TrpcClient;
  private readonly stats: Stats;
  /** Points go in from here on, one second apart per write, interleaved with the other clients'. */
  private readonly writesFrom: number;
  private readonly clients: number;
  readonly ledger = new Ledger();
  private sequence = 0;
  private editCount = 0;
  private readonly random: () => number;
  private readonly mix: [Action, number][];

  constructor(
    person: Person,
    workspace: Workspace,
    trpc: TrpcClient,
    stats: Stats,
    writesFrom: number,
    clients: number,
  ) {
    this.person = person;
    this.workspace = workspace;
    this.trpc = trpc;
    this.stats = stats;
    this.writesFrom = writesFrom;
    this.clients = clients;
    this.random = seeded(person.index + 1);
    this.mix = person.role === "VIEWER" ? viewerMix : person.role === "MEMBER" ? editorMix : managerMix;
    for (const goalId of person.goalIds)
      this.ledger.goalEdits.push({ goalId, title: this.arrangedTitle(goalId), acknowledged: true, arranged: true });
  }

  get canWrite(): boolean {
    return this.person.role !== "VIEWER";
  }

  /** Requests until `deadline` (performance.now()), each after a think time of 0..2×thinkMs. */
  async runUntil(phase: string, deadline: number, thinkMs: number): Promise<void> {
    while (performance.now() < deadline) {
      const answer = await this.act(phase, this.pick());
      // A refusal says when to come back.
      const retryAfter = Number(answer.retryAfter ?? 0);
      const pause = retryAfter > 0 ? retryAfter * 1_000 : this.random() * 2 * thinkMs;
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private pick(): Action {
    const total = this.mix.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random() * total;
    for (const [action, weight] of this.mix) {
      roll -= weight;
      if (roll < 0) return action;
    }
    return "dashboard";
  }

  act(phase: string, action: Action): Promise<Answer> {
    switch (action) {
      case "dashboard":
        return this.dashboard(phase);
      case "goals":
        return this.read(phase, "goal.list", [{ path: "goal.list", input: { workspaceId: this.workspace.id } }]);
      case "series":
        return this.read(phase, "kpi.series", [this.series()]);
      case "record":
        return this.recordPoint(phase);
      case "import":
        return this.importPoints(phase);
      case "editGoal":
        return this.editGoal(phase);
      case "syncNow":
        return this.write(phase, "integration.syncNow", {
          workspaceId: this.workspace.id,
          integrationId: this.workspace.integrationId,
        });
    }
  }

  /** The dashboard's first load: the summary and three charts in one batch. */
  dashboard(phase: string): Promise<Answer> {
    return this.read(phase, "kpi.summary+kpi.series×3 (batch)", [
      { path: "kpi.summary", input: { workspaceId: this.workspace.id, period: "month" } },
      this.series(),
      this.series(),
      this.series(),
    ]);
  }

  summary(phase: string): Promise<Answer> {
    return this.read(phase, "kpi.summary", [
      { path: "kpi.summary", input: { workspaceId: this.workspace.id, period: "month" } },
    ]);
  }

  private series() {
    const kpis = [...this.workspace.kpiIds, this.workspace.syncedKpiId];
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    return {
      path: "kpi.series",
      input: {
        workspaceId: this.workspace.id,
        kpiId: kpis[Math.floor(this.random() * kpis.length)],
        from: new Date(to.getTime() - 120 * dayMs),
        to,
        buckets: 120,
      },
    };
  }

  private async read(phase: string, procedure: string, calls: { path: string; input: unknown }[]): Promise<Answer> {
    const answer = await this.trpc.query(this.person.cookie, calls);
    this.stats.record(phase, procedure, answer);
    return answer;
  }

  private async write(phase: string, path: string, input: unknown): Promise<Answer> {
    const answer = await this.trpc.mutate(this.person.cookie, { path, input });
    this.stats.record(phase, path, answer);
    return answer;
  }

  /** A timestamp no other write of any client uses. */
  private nextTimestamp(): string {
    const slot = this.sequence * this.clients + this.person.index;
    this.sequence += 1;
    return new Date(this.writesFrom + slot * 1_000).toISOString();
  }

  private kpi(): string {
    return this.workspace.kpiIds[Math.floor(this.random() * this.workspace.kpiIds.length)] ?? "";
  }

  async recordPoint(phase: string): Promise<Answer> {
    const kpiId = this.kpi();
    const timestamp = this.nextTimestamp();
    const value = this.sequence + 0.5;
    const answer = await this.write(phase, "kpi.recordPoint", {
      workspaceId: this.workspace.id,
      kpiId,
      timestamp: new Date(timestamp),
      value,
    });
    this.ledger.points.push({ kpiId, timestamp, value, source: "MANUAL", acknowledged: acknowledged(answer) });
    return answer;
  }

  private async importPoints(phase: string): Promise<Answer> {
    const kpiId = this.kpi();
    const points = Array.from({ length: 5 }, () => ({ timestamp: this.nextTimestamp(), value: this.sequence + 0.25 }));
    const csv = ["timestamp,value", ...points.map((point) => `${point.timestamp},${point.value}`)].join("\n");
    const answer = await this.write(phase, "kpi.importPoints", { workspaceId: this.workspace.id, kpiId, data: csv });
    for (const point of points)
      this.ledger.points.push({ kpiId, ...point, source: "IMPORT", acknowledged: acknowledged(answer) });
    return answer;
  }

  private async editGoal(phase: string): Promise<Answer> {
    const goalId = this.person.goalIds[Math.floor(this.random() * this.person.goalIds.length)] ?? "";
    this.editCount += 1;
    const title = `Goal ${this.person.index} edit ${this.editCount}`;
    const answer = await this.write(phase, "goal.update", {
      workspaceId: this.workspace.id,
      goalId,
      title,
      status: goalStatuses[this.editCount % goalStatuses.length],
    });
    this.ledger.goalEdits.push({ goalId, title, acknowledged: acknowledged(answer) });
    return answer;
  }

  private arrangedTitle(goalId: string): string {
    return `Goal ${this.person.index}-${this.person.goalIds.indexOf(goalId)}`;
  }
}
