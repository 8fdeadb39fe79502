import { emailSchema, userNameSchema } from "@northstar/core/schemas";
import { z } from "zod";
import type { OAuthProviderConfig } from "./config.ts";
import { SignInError } from "./errors.ts";

// Who the provider says the user is: a stable account id, a verified email, a name and a picture.

export interface ProviderProfile {
  providerAccountId: string;
  email: string;
  name: string;
  image: string | null;
}

const githubUser = z.object({
  id: z.union([z.number(), z.string()]),
  login: z.string(),
  name: z.string().nullish(),
  avatar_url: z.string().nullish(),
});
const githubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));
const oidcUser = z.object({
  sub: z.string().min(1).max(255),
  email: z.string().optional(),
  email_verified: z.union([z.boolean(), z.literal("true"), z.literal("false")]).optional(),
  name: z.string().nullish(),
  preferred_username: z.string().nullish(),
  picture: z.string().nullish(),
});

async function getJson(fetcher: typeof fetch, url: string, accessToken: string): Promise<unknown> {
  const response = await fetcher(url, {
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": "northstar" },
  });
  if (!response.ok)
    throw new SignInError("provider_error", `The provider refused the profile request (${response.status}).`);
  return response.json();
}

function cleanName(candidates: (string | null | undefined)[], email: string): string {
  for (const candidate of [...candidates, email.split("@")[0]]) {
    const parsed = userNameSchema.safeParse(candidate?.slice(0, 100));
    if (parsed.success) return parsed.data;
  }
  return "User";
}

function cleanImage(url: string | null | undefined): string | null {
  return url && /^https?:\/\//.test(url) && url.length <= 2048 ? url : null;
}

function verifiedEmail(email: string | undefined): string {
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success)
    throw new SignInError(
      "no_verified_email",
      "Your account has no verified email address; add one at the provider and try again.",
    );
  return parsed.data;
}

export async function fetchProfile(
  provider: OAuthProviderConfig,
  accessToken: string,
  fetcher: typeof fetch,
): Promise<ProviderProfile> {
  if (provider.profileStyle === "github") {
    const user = githubUser.safeParse(await getJson(fetcher, provider.userinfoEndpoint, accessToken));
    if (!user.success) throw new SignInError("provider_error", "The provider sent a profile we do not understand.");
    const emails = githubEmails.safeParse(
      provider.emailsEndpoint ? await getJson(fetcher, provider.emailsEndpoint, accessToken) : [],
    );
    const primary = emails.success ? emails.data.find((entry) => entry.primary && entry.verified) : undefined;
    const email = verifiedEmail(primary?.email);
    return {
      providerAccountId: String(user.data.id),
      email,
      name: cleanName([user.data.name, user.data.login], email),
      image: cleanImage(user.data.avatar_url),
    };
  }
  const user = oidcUser.safeParse(await getJson(fetcher, provider.userinfoEndpoint, accessToken));
  if (!user.success) throw new SignInError("provider_error", "The provider sent a profile we do not understand.");
  const verified = user.data.email_verified === true || user.data.email_verified === "true";
  const email = verifiedEmail(verified ? user.data.email : undefined);
  return {
    providerAccountId: user.data.sub,
    email,
    name: cleanName([user.data.name, user.data.preferred_username], email),
    image: cleanImage(user.data.picture),
  };
}
