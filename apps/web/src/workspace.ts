import { createContext, useContext } from "react";
import type { PlanName } from "@northstar/core/plans";
import type { Role } from "./lib/permissions.ts";

// The workspace the URL names, for every page inside the shell.

export interface CurrentWorkspace {
  /** Calls name the workspace by id (the slug is for addresses). */
  id: string;
  slug: string;
  name: string;
  role: Role;
  plan: PlanName;
}

export const WorkspaceContext = createContext<CurrentWorkspace | null>(null);

export function useWorkspace(): CurrentWorkspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error("useWorkspace is for pages inside /w/:slug");
  return workspace;
}

const lastWorkspaceKey = "northstar:last-workspace";

export function rememberWorkspace(slug: string): void {
  try {
    localStorage.setItem(lastWorkspaceKey, slug);
  } catch {
    // Storage can be off (private mode): the first workspace is a fine default.
  }
}

export function lastWorkspace(): string | null {
  try {
    return localStorage.getItem(lastWorkspaceKey);
  } catch {
    return null;
  }
}

const returnKey = "northstar:return-to";

/** Where to go back to after signing in (the sign-in round trip lands on "/"). */
export function rememberReturn(path: string | null): void {
  try {
    if (path?.startsWith("/w/")) sessionStorage.setItem(returnKey, path);
  } catch {
    // Without storage the dashboard is where sign-in lands.
  }
}

export function peekReturn(): string | null {
  try {
    const path = sessionStorage.getItem(returnKey);
    return path?.startsWith("/w/") ? path : null;
  } catch {
    return null;
  }
}

export function clearReturn(): void {
  try {
    sessionStorage.removeItem(returnKey);
  } catch {
    // Nothing stored, then.
  }
}
