/** A column: its heading, right-aligned when it holds numbers. */
export type Column = string | { readonly num: string };

/** The console's tables: one heading row from `columns`, the rows as children. */
export function DataTable({ testId, columns, children }: { testId: string; columns: readonly Column[]; children: React.ReactNode }) {
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c, i) =>
            typeof c === 'string' ? (
              <th key={i}>{c}</th>
            ) : (
              <th key={i} className="num">
                {c.num}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A host as `address:port`, in the monospace cell every host table uses. */
export function HostCell({ h }: { h: { readonly address: string; readonly port: number } }) {
  return (
    <td className="mono">
      {h.address}:{h.port}
    </td>
  );
}
