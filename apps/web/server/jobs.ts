import type { Jobs } from "@northstar/api";
import { createQueueClient, ensureQueues, sendSync } from "@northstar/db/queue";
import type { Logger } from "pino";

// The API's Jobs port on the integration worker's queue (@northstar/db/queue): "sync now" sends a
// job for the integration; one already queued for it absorbs the new one. The sender connects
// with the host's login, which takes the queue role (northstar_queue) itself; it runs no
// maintenance and works no queue (the worker does both).

export type QueueSender = ReturnType<typeof createQueueClient>;

/** A send that takes longer is given up (the dispatcher still finds the due row within a minute). */
const sendTimeoutMs = 2_000;

/** Jobs backed by a started sender; a failed or slow send is logged, and the caller told. */
export function jobsFromQueue(sender: QueueSender, logger: Logger): Jobs {
  return {
    async requestSync({ workspaceId, integrationId }) {
      const timeout = AbortSignal.timeout(sendTimeoutMs);
      try {
        await Promise.race([
          sendSync(sender, { workspaceId, integrationId, reason: "requested" }),
          new Promise<never>((_resolve, reject) => {
            timeout.addEventListener("abort", () => {
              reject(new Error(`the job queue did not answer within ${sendTimeoutMs} ms`));
            });
          }),
        ]);
      } catch (error) {
        logger.warn(
          { workspaceId, integrationId, err: { message: error instanceof Error ? error.message : String(error) } },
          "sync-now job not sent; the dispatcher will pick the integration up",
        );
        throw error;
      }
    },
  };
}

export interface JobSender {
  jobs: Jobs;
  close(): Promise<void>;
}

/** Starts a sender on the database at `url` (pg-boss's tables are installed or migrated if needed). */
export async function startJobSender(url: string, logger: Logger): Promise<JobSender> {
  const sender = createQueueClient({ url, poolSize: 2, applicationName: "northstar-web-jobs" });
  // pg-boss re-emits its pool's errors (a dropped idle connection): without a listener the process
  // would end. Only the message and code: the error carries pg's client, settings and all.
  sender.on("error", (error: unknown) => {
    const { message, code } =
      error instanceof Error
        ? { message: error.message, code: "code" in error ? String(error.code) : undefined }
        : { message: String(error), code: undefined };
    logger.warn({ err: { message, code } }, "job queue connection error");
  });
  await sender.start();
  await ensureQueues(sender);
  return {
    jobs: jobsFromQueue(sender, logger),
    close: () => sender.stop({ graceful: true, timeout: 5_000 }),
  };
}
