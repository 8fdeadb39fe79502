// One flat config for the whole monorepo: typescript-eslint's strict, type-aware rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const envMessage = "Read settings in the package's env.ts (parsed with @northstar/core/settings) and pass them in";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/generated/**", "**/.turbo/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-non-null-assertion": "error",
    },
  },
  // Settings are validated once, at the edge: only the env modules (env.ts) read process.env. Tests
  // may (a child process's environment, the browser tests' Chromium and client build), and so may
  // prisma.config.ts (the placeholder DATABASE_URL the Prisma CLI needs).
  {
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: envMessage }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value=/^(node:)?process$/] > ImportSpecifier[imported.name='env']",
          message: envMessage,
        },
      ],
    },
  },
  {
    files: ["**/env.ts", "**/*.test.ts", "**/e2e/**", "**/prisma.config.ts"],
    rules: { "no-restricted-properties": "off", "no-restricted-syntax": "off" },
  },
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
);
