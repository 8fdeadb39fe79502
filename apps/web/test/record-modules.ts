import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

// Loaded with `node --import <this file's URL>?log=<path>` by production-graph.test.ts: appends
// the URL of every module the process resolves (import and require, static and dynamic) to that
// file, one a line, so the test can read what a process really loaded. The path rides in the URL
// so the process under test gets no setting it does not have in production.

const log = new URL(import.meta.url).searchParams.get("log");
if (!log) throw new Error("import this module with ?log=<file to append resolved modules to>");

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    appendFileSync(log, `${resolved.url}\n`);
    return resolved;
  },
});
