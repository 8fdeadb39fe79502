import { Events, type MutableResponse, OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll } from "vitest";
import { type OAuthProviderConfig, oauthProvider } from "../auth/config.ts";

// A local OAuth 2 / OIDC server on 127.0.0.1 that stands in for Google in the sign-in tests of the
// API, the host and the browser: each test file starts its own and says who signs in next.

export interface OAuthIssuer {
  /** The mock server, for hooking its events beyond the userinfo answer. */
  readonly server: OAuth2Server;
  /** http://127.0.0.1:<port>, known once the file's beforeAll has run. */
  readonly url: string;
  /** The Google provider with this issuer's endpoints (read `url`: call it once the issuer runs). */
  google(): OAuthProviderConfig;
  /** The next userinfo request answers with `profile` (the OIDC claims of who signs in). */
  answerUserinfoWith(profile: object): void;
}

/** The test file's issuer: started in a beforeAll (hooks registered after this call see its url). */
export function useOAuthIssuer(): OAuthIssuer {
  const server = new OAuth2Server();
  let url = "";
  beforeAll(async () => {
    await server.issuer.keys.generate("RS256");
    await server.start(0, "127.0.0.1");
    url = `http://127.0.0.1:${server.address().port}`;
  });
  afterAll(async () => {
    await server.stop();
  });
  return {
    server,
    get url() {
      return url;
    },
    google: () =>
      oauthProvider("google", {
        clientId: "northstar",
        clientSecret: "northstar-secret",
        authorizationEndpoint: `${url}/authorize`,
        tokenEndpoint: `${url}/token`,
        userinfoEndpoint: `${url}/userinfo`,
      }),
    answerUserinfoWith(profile) {
      server.service.once(Events.BeforeUserinfo, (response: MutableResponse) => {
        response.body = { ...profile };
      });
    },
  };
}
