// The monorepo's rules, plus the module boundary that keeps handlers on their scoped client. All of
// src/ but trpc.ts and auth/ (which build the request's context and its sign-in) may import only
// what is allowed below: handlers get `ctx.db` / `ctx.read` from the procedures, already scoped to a
// role, a user and a workspace, and can neither build nor import a database of their own.
import root, { envImport, rawUnsafeFence, roleFence, sqlFence } from "../../eslint.config.js";

const unscoped =
  "packages/api/src imports only zod, @trpc/server, @trpc/client, lru-cache, @northstar/core, @northstar/db " +
  "(not createDatabase) and its own files: handlers use ctx.db / ctx.read, scoped by the procedures in trpc.ts.";

// Exact module names (no subpaths of @northstar/db: server, dev-database, generate, queue, testing).
const allowedModules = [
  "zod",
  "lru-cache",
  "@trpc/server",
  "@trpc/client",
  "@northstar/core",
  "@northstar/db",
  "node:crypto",
];
const escape = (name) => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Everything that is not an allowed module, a @northstar/core module, or a file of src/ itself. */
function allowList(extraModules = []) {
  const allowed = [
    ...[...allowedModules, ...extraModules].map(escape),
    // @northstar/core is zod and pure functions only (its own lint fence): any module of it.
    "@northstar/core(?:/[\\w-]+)+",
    // ./x.ts, ./dir/x.ts, ../x.ts, ../dir/x.ts: one level up at most, so never out of src/.
    "\\.{1,2}/(?:[\\w-]+/)*[\\w-]+(?:\\.[\\w-]+)*",
  ];
  return [
    "error",
    {
      paths: [{ name: "@northstar/db", importNames: ["createDatabase"], message: unscoped }],
      patterns: [{ regex: `^(?!(?:${allowed.join("|")})$)`, message: unscoped }],
    },
  ];
}

const dynamicImport = { selector: "ImportExpression", message: unscoped };

export default [
  ...root,
  {
    files: ["src/**/*.ts"],
    ignores: ["src/trpc.ts", "src/auth/**"],
    rules: {
      "no-restricted-imports": allowList(),
      "no-restricted-syntax": ["error", envImport, ...sqlFence, dynamicImport],
    },
  },
  // Billing talks to Stripe through its official SDK, and to nothing else outside the allow-list.
  { files: ["src/billing/**/*.ts"], rules: { "no-restricted-imports": allowList(["stripe"]) } },
  // The workspace export writes CSV (papaparse) into a ZIP (fflate): formats, no I/O of their own.
  { files: ["src/export/**/*.ts"], rules: { "no-restricted-imports": allowList(["fflate", "papaparse"]) } },
  {
    files: ["src/**/*.test.ts", "src/testing/**/*.ts"],
    ignores: ["src/auth/**"],
    rules: {
      // Test servers (the OAuth issuer, the Stripe stand-in) listen on 127.0.0.1.
      "no-restricted-imports": allowList(["vitest", "oauth2-mock-server", "stripe", "node:http"]),
      "no-restricted-syntax": ["error", ...sqlFence, dynamicImport],
    },
  },
  // trpc.ts makes the session's user the context user in the same round trip as the session
  // lookup (set_config of app.user_id, inside the reader's transaction); changing role stays fenced.
  { files: ["src/trpc.ts"], rules: { "no-restricted-syntax": ["error", envImport, ...rawUnsafeFence, ...roleFence] } },
];
