import { Skeleton } from "./Feedback.tsx";

/** What a page shows while its code or its first data loads: the page's rough shape. */
export function PageSkeleton() {
  return (
    <div className="page" role="status" aria-busy="true" aria-label="Loading">
      <Skeleton height="2rem" width="40%" />
      <div className="card-grid" style={{ marginTop: "1.5rem" }}>
        {Array.from({ length: 6 }, (_, index) => (
          <div key={index} className="card">
            <Skeleton height="9.5rem" />
          </div>
        ))}
      </div>
    </div>
  );
}
