/**
 * The filter bar of the audit log and the timeline: a GET form (so a filtered view is a link an
 * operator can paste into the incident channel) of labelled inputs and "any"-or-one selects.
 */
export function Filters({ submit, children }: { submit: string; children: React.ReactNode }) {
  return (
    <form className="filters" method="get">
      {children}
      <button type="submit">{submit}</button>
    </form>
  );
}

export function FilterInput({ label, ...input }: { label: string; name: string } & React.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="field">
      <span>{label}</span>
      <input {...input} />
    </label>
  );
}

export function FilterSelect({ label, name, value, options }: { label: string; name: string; value: string | undefined; options: readonly string[] }) {
  return (
    <label className="field">
      <span>{label}</span>
      <select name={name} defaultValue={value ?? ''}>
        <option value="">any</option>
        {options.map(o => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}
