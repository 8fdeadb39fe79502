import { Link } from "react-router";

export function NotFound() {
  return (
    <main className="centered-page">
      <div className="panel">
        <h1>Page not found</h1>
        <p>The address may be mistyped, or the page moved.</p>
        <Link className="button button-primary" to="/">
          Go to your dashboard
        </Link>
      </div>
    </main>
  );
}
