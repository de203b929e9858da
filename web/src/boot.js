// Loaded async, before the main script is compiled: starts the first load's requests at once, so they run
// while the main script (uPlot and the panels) is still downloading and compiling. The main
// script takes these answers (api.js) when it asks for the same paths with the same token.
(function () {
  // Loaded async: if the main script has already started, it asked for everything itself.
  if (window.agentlearnStarted) return;
  let token = '';
  try {
    token = sessionStorage.getItem('agentlearn.token') || '';
  } catch {
    token = '';
  }
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const pending = {};
  // The first load's requests, as dashboard.js makes them with the default filters.
  for (const path of ['/analytics/dashboard?since=0&buckets=48', '/dashboard/admin-check', '/learning/mode', '/models/status']) {
    const p = fetch(path, { headers, cache: 'no-store', credentials: 'omit' });
    p.catch(() => {}); // a failure is the main script's to report, when it takes the answer
    pending[path] = p;
  }
  window.agentlearnEarly = { token, pending };
})();
