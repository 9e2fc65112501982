// Shown when the page was opened without the token the host printed.
export function NoToken() {
  return (
    <main className="no-token">
      <h1>Open Tierdrop from the address it printed</h1>
      <p>
        This page needs the one-time token in the link <code>tierdrop serve</code> printed when it started
        (it ends in <code>#token=…</code>). Copy that whole address into the browser.
      </p>
    </main>
  );
}
