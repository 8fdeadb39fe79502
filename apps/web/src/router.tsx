import { createBrowserRouter } from "react-router";
import { PageSkeleton } from "./components/PageSkeleton.tsx";
import { Home } from "./routes/Home.tsx";
import { RouteError } from "./routes/RouteError.tsx";
import { WorkspaceLayout } from "./routes/WorkspaceLayout.tsx";

// Every page but the shell is its own chunk, loaded on first visit.

export const router = createBrowserRouter([
  {
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageSkeleton />,
    children: [
      { path: "/", element: <Home /> },
      { path: "/sign-in", lazy: async () => ({ Component: (await import("./routes/SignIn.tsx")).SignIn }) },
      { path: "/welcome", lazy: async () => ({ Component: (await import("./routes/Welcome.tsx")).Welcome }) },
      {
        path: "/w/:slug",
        element: <WorkspaceLayout />,
        children: [
          { index: true, lazy: async () => ({ Component: (await import("./routes/Dashboard.tsx")).Dashboard }) },
          { path: "kpis/:kpiId", lazy: async () => ({ Component: (await import("./routes/KpiPage.tsx")).KpiPage }) },
          { path: "goals", lazy: async () => ({ Component: (await import("./routes/Goals.tsx")).Goals }) },
          {
            path: "integrations",
            lazy: async () => ({ Component: (await import("./routes/Integrations.tsx")).Integrations }),
          },
          {
            path: "integrations/:integrationId",
            lazy: async () => ({ Component: (await import("./routes/IntegrationDetail.tsx")).IntegrationDetail }),
          },
          { path: "members", lazy: async () => ({ Component: (await import("./routes/Members.tsx")).Members }) },
          { path: "settings", lazy: async () => ({ Component: (await import("./routes/Settings.tsx")).Settings }) },
          { path: "billing", lazy: async () => ({ Component: (await import("./routes/Billing.tsx")).Billing }) },
        ],
      },
      { path: "*", lazy: async () => ({ Component: (await import("./routes/NotFound.tsx")).NotFound }) },
    ],
  },
]);
