// The load test's one setting from its own environment: the PATH its child processes (the host
// and the worker) run with; everything else they get is set by processes.ts. The database comes
// from DATABASE_URL through @northstar/db's configuredDatabaseUrl.

export function inheritedPath(): string {
  return process.env.PATH ?? "";
}
