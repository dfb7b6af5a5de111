// A React app that reads one flag through the front-end API, with the React SDK.
import { createRoot } from 'react-dom/client';
import { FlagProvider, useFlag, useFlagsStatus } from '@unleash/proxy-client-react';

// This demo takes your Unleash URL and a front-end token from its address:
// react.html?url=http://127.0.0.1:4242&token=<front-end token>
const params = new URLSearchParams(location.search);
const config = {
  url: params.get('url') + '/api/frontend', // the front-end API URL
  clientKey: params.get('token'), // a front-end token: never a backend token in a browser
  appName: 'checkout-web',
};

function DemoFlag() {
  const enabled = useFlag('docs-demo');
  const { flagsReady, flagsError } = useFlagsStatus();
  if (flagsError) return <p id="result">Unleash could not be read</p>;
  if (!flagsReady) return <p id="result">Asking Unleash…</p>;
  return <p id="result">docs-demo enabled: {String(enabled)}</p>;
}

createRoot(document.getElementById('root')).render(
  <FlagProvider config={config}>
    <DemoFlag />
  </FlagProvider>,
);
