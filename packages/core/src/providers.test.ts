import { describe, expect, test } from "vitest";
import { z } from "zod";
import { providers } from "./provider-schemas.ts";
import { credentialsHint, providerCatalogue, providerIds } from "./providers.ts";

describe("the provider catalogue", () => {
  test.each(providerIds)("%s: the form's credential fields are the schema's", (id) => {
    const provider = providers[id];
    const schema = z.toJSONSchema(provider.credentials, { io: "input" });
    const properties = typeof schema.properties === "object" ? Object.keys(schema.properties) : [];
    expect(provider.credentialFields.map((field) => field.name).sort()).toEqual(properties.sort());
    const required = Array.isArray(schema.required) ? schema.required : [];
    for (const field of provider.credentialFields)
      expect(required.includes(field.name), field.name).toBe(field.required);
    if (provider.hintField !== null) expect(properties).toContain(provider.hintField);
    expect(provider.metrics.length).toBeGreaterThan(0);
  });

  test("the catalogue is plain data", () => {
    const catalogue = providerCatalogue();
    expect(JSON.parse(JSON.stringify(catalogue))).toEqual(catalogue);
  });

  test("hints show at most the last 4 characters, or a URL's host", () => {
    expect(credentialsHint(providers.github, { token: "ghp_0123456789abcd" })).toBe("••••abcd");
    expect(credentialsHint(providers.github, { token: "short" })).toBe("••••");
    expect(credentialsHint(providers.csv, { url: "https://sheets.example.com/x?key=secret" })).toBe(
      "sheets.example.com/••••",
    );
    expect(credentialsHint(providers["http-json"], {})).toBeNull();
  });
});
