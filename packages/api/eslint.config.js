// The monorepo's rules, plus the module boundary that keeps handlers on their scoped client:
// routers get `ctx.db` from the procedures and may not build or import a database of their own.
import root from "../../eslint.config.js";

const unscoped = "Handlers use ctx.db (scoped by workspaceProcedure/authedProcedure); never an unscoped client.";

export default [
  ...root,
  {
    files: ["src/routers/**/*.ts", "src/kpi/**/*.ts", "src/goal/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@northstar/db", importNames: ["createDatabase"], message: unscoped },
            { name: "pg", message: unscoped },
            { name: "@prisma/client", message: unscoped },
            { name: "@northstar/db/server", message: unscoped },
            { name: "@northstar/db/testing", message: unscoped },
          ],
        },
      ],
    },
  },
];
