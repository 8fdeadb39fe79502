import type { ReactNode } from "react";

// The top of every workspace page: its title, a line under it, and the page's own actions on
// the right (they wrap under the title on a narrow screen).

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions}
    </header>
  );
}
