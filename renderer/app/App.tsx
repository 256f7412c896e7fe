import { ModePicker } from '../features/privacy/ModePicker';

export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>Cove</h1>
        <p className="tagline">Choose how much of your network identity you give away.</p>
      </header>
      <ModePicker />
    </main>
  );
}
