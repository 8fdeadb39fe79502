import type { ProviderId } from "@northstar/core/providers";
import type { Connector } from "./connector.ts";
import { csvConnector } from "./csv.ts";
import { githubConnector } from "./github.ts";
import { httpJsonConnector } from "./http-json.ts";
import { stripeConnector } from "./stripe.ts";

// The registry: one connector per provider of the catalogue (@northstar/core/providers). Adding a
// provider is its catalogue entry, one file here, and one line below.

export interface ConnectorEndpoints {
  githubApiUrl: string;
  stripeApiUrl: string;
}

export const defaultEndpoints: ConnectorEndpoints = {
  githubApiUrl: "https://api.github.com",
  stripeApiUrl: "https://api.stripe.com",
};

export function createConnectors(endpoints: ConnectorEndpoints = defaultEndpoints): ReadonlyMap<ProviderId, Connector> {
  const connectors: Connector[] = [
    httpJsonConnector,
    csvConnector,
    githubConnector(endpoints.githubApiUrl),
    stripeConnector(endpoints.stripeApiUrl),
  ];
  return new Map(connectors.map((connector) => [connector.id, connector]));
}
