// A refused import, said the same way wherever one is made (the KPI page's paste, the import
// dialog): what was wrong, the lines to fix, and how many more there are beyond those shown.

const numberFormat = new Intl.NumberFormat("en-US");

export interface LineError {
  line: number;
  message: string;
}

export function LineErrors({ message, lines, total }: { message: string; lines: readonly LineError[]; total: number }) {
  return (
    <div className="import-errors" role="alert">
      <p className="form-error">{message}</p>
      {lines.length > 0 ? (
        <table className="table table-compact">
          <caption>Lines to fix</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((line) => (
              <tr key={`${line.line}-${line.message}`}>
                <td>{line.line}</td>
                <td>{line.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {total > lines.length ? <p className="muted">…and {numberFormat.format(total - lines.length)} more.</p> : null}
    </div>
  );
}
