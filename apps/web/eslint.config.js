// The monorepo's rules, plus the client's boundary: code in src/ runs in the browser, so it takes
// runtime code from @northstar/core only; @northstar/api and @northstar/db give it types at most.
import root from "../../eslint.config.js";

const serverOnly =
  "The web client takes runtime code from @northstar/core only; use `import type` for the API's types.";

// zod adds about 25 kB (gzip) to the client: the forms take the plain numbers and the catalogue.
const withZod =
  "zod (and the core modules built on it) would enter the bundle; use @northstar/core/field-rules or /providers.";

export default [
  ...root,
  {
    files: ["src/**/*.ts", "src/**/*.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@northstar/api", "@northstar/api/*", "@northstar/db", "@northstar/db/*"],
              message: serverOnly,
              allowTypeImports: true,
            },
            {
              group: ["zod", "zod/*", "@northstar/core/schemas", "@northstar/core/provider-schemas"],
              message: withZod,
              allowTypeImports: true,
            },
          ],
        },
      ],
      // `import { type X }` alone still loads the module under verbatimModuleSyntax: say `import type`.
      "@typescript-eslint/no-import-type-side-effects": "error",
    },
  },
];
