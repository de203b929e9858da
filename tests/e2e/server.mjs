// The real agentlearn server for the end-to-end test: a fresh SQLite store on a free loopback
// port (the server picks it: --port 0, read from its "serving" log line), with tokens.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function startServer(binary, { tokens, args = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'agentlearn-e2e-'));
  const argv = ['serve', '--db', 'sqlite:' + join(dir, 'agentlearn.db'), '--port', '0', ...args];
  for (const t of tokens) argv.push('--auth-token', t);
  const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_WAIT_POLICY: 'passive' } });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk.toString();
      const m = log.match(/serving (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`agentlearn serve exited (${code}) before listening:\n${log}`)));
  });
  return {
    url,
    dir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.on('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function importFile(binary, url, token, file) {
  await run(binary, ['import', file, '--url', url, '--token', token, '--no-progress'], { maxBuffer: 16 << 20 });
}

export async function api(url, path, { token, method = 'GET', body } = {}) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

// Trains a model set and waits for it to be active: asks for a run, and when one is already
// running (the server trains by itself on first data) follows /models/status until it ends.
export async function trainAndWait(url, adminToken, deadlineMs = 600000) {
  const started = Date.now();
  const r = await api(url, '/learning/train', { token: adminToken, method: 'POST', body: { wait: true } });
  if (r.status === 200 && r.json.status === 'succeeded') return r.json;
  if (r.status !== 409 && r.status !== 200) throw new Error('training failed: ' + r.text);
  for (;;) {
    const s = await api(url, '/models/status', { token: adminToken });
    if (s.json && s.json.active_model_set && !s.json.training.running) return s.json;
    if (Date.now() - started > deadlineMs) throw new Error('no model set became active: ' + s.text);
    await new Promise((res) => setTimeout(res, 250));
  }
}
