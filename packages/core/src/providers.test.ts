import { describe, expect, test } from "vitest";
import { z } from "zod";
import { providers } from "./provider-schemas.ts";
import {
  credentialsHint,
  credentialsOrigin,
  providerCatalogue,
  providerIds,
  urlOrigin,
  urlWithoutSecrets,
} from "./providers.ts";

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

describe("the origin credentials are bound to", () => {
  test("scheme://host:port, the port always written, the host in lower case; nothing for what is not http(s)", () => {
    expect(urlOrigin("https://API.example.com/a?b=c")).toBe("https://api.example.com:443");
    expect(urlOrigin("https://api.example.com:443/")).toBe("https://api.example.com:443");
    expect(urlOrigin("http://api.example.com/")).toBe("http://api.example.com:80");
    expect(urlOrigin("http://user:pw@127.0.0.1:8080/x")).toBe("http://127.0.0.1:8080");
    expect(urlOrigin("http://[::1]:9/x")).toBe("http://[::1]:9");
    for (const value of ["ftp://example.com/", "not a url", "", "file:///etc/passwd"])
      expect(urlOrigin(value)).toBeNull();
  });

  test("only providers whose URL is in their settings bind one; a missing or broken URL binds to no real origin", () => {
    expect(credentialsOrigin(providers["http-json"], { url: "https://a.example/x" })).toBe("https://a.example:443");
    expect(credentialsOrigin(providers["http-json"], {})).toBe("invalid");
    expect(credentialsOrigin(providers["http-json"], { url: "nope" })).toBe("invalid");
    for (const id of ["csv", "github", "stripe"] as const) expect(credentialsOrigin(providers[id], {})).toBeNull();
  });

  test("a URL without its secrets: no user-info, query or fragment", () => {
    expect(urlWithoutSecrets("https://u:p@a.example:8443/v1/kpi?api_key=s3cret#top")).toBe(
      "https://a.example:8443/v1/kpi",
    );
    expect(urlWithoutSecrets("nope")).toBe("");
  });
});
