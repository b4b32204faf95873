export default function Forbidden() {
  return (
    <main className="narrow">
      <h1>403 — not allowed</h1>
      <p>Your role does not allow this. Nothing was changed.</p>
    </main>
  );
}
