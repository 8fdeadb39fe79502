import { isRouteErrorResponse, Link, useRouteError } from "react-router";

/** A page that failed to load (a deploy replaced its chunk, a render threw). */
export function RouteError() {
  const error = useRouteError();
  const chunkGone =
    error instanceof TypeError && /dynamically imported module|Importing a module script failed/.test(error.message);
  return (
    <main className="centered-page">
      <div className="panel">
        <h1>{chunkGone ? "Northstar was updated" : "This page could not be shown"}</h1>
        <p>
          {chunkGone
            ? "A new version is available. Reload to continue."
            : isRouteErrorResponse(error)
              ? `${error.status} ${error.statusText}`
              : "Something went wrong while showing this page. Reloading usually fixes it."}
        </p>
        <div className="actions">
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              window.location.reload();
            }}
          >
            Reload
          </button>
          <Link className="button" to="/">
            Go home
          </Link>
        </div>
      </div>
    </main>
  );
}
