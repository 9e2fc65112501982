// Entry point: choose the transport, create the store, render the window.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { NoToken } from './components/NoToken.js';
import { StoreProvider } from './components/context.js';
import { createAppStore } from './store/index.js';
import { chooseTransport } from './transport/index.js';
import './styles.css';

const container = document.getElementById('root');
if (container) {
  const root = createRoot(container);
  const transport = chooseTransport();
  if (transport === null) {
    root.render(<NoToken />);
  } else {
    const store = createAppStore(transport);
    root.render(
      <StrictMode>
        <StoreProvider store={store} transport={transport}>
          <App />
        </StoreProvider>
      </StrictMode>,
    );
  }
}
