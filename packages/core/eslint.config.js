// The monorepo's rules. packages/core is plain data and pure functions shared by the API, the
// worker and the web client, so it may import nothing of Northstar's own and no Node built-in.
import root from "../../eslint.config.js";

export default [
  ...root,
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@northstar/*", "node:*"], message: "packages/core depends on zod only." }] },
      ],
    },
  },
];
