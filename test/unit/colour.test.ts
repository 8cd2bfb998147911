// The generated Lua runs in LuaJIT (the Lua runtime Envoy embeds) against a small stub of Envoy's
// request-handle API: headers():get/replace/remove, keyed case-insensitively as Envoy does.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ColourRule, bucketOf, colourEnvoyFilter, colourLua, luaString, parseBy, parseHeaderValue } from '../../core/colour.js';
import { tempDir } from '../support/temp.js';

const STUB = `
local function request(init)
  local data = {}
  for k, v in pairs(init) do data[string.lower(k)] = v end
  local headers = {
    get = function(_, k) return data[string.lower(k)] end,
    replace = function(_, k, v) data[string.lower(k)] = v end,
    add = function(_, k, v) data[string.lower(k)] = v end,
    remove = function(_, k) data[string.lower(k)] = nil end,
  }
  return { headers = function(_) return headers end }, data
end
`;

/** Runs envoy_on_request for each request's headers; returns the value of `header` afterwards (or nil). */
function runLua(rule: ColourRule, requests: Array<Record<string, string>>, header: string): Array<string | null> {
  const cases = requests.map((r) => `{${Object.entries(r).map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`).join(', ')}}`).join(',\n');
  const script = `${STUB}\n${colourLua(rule)}\nlocal cases = {\n${cases}\n}\nfor _, init in ipairs(cases) do\n  local handle, data = request(init)\n  envoy_on_request(handle)\n  local v = data[${luaString(header)}]\n  if v == nil then print("<nil>") else print("=" .. v) end\nend\n`;
  const dir = tempDir('lua');
  writeFileSync(join(dir, 'test.lua'), script);
  const r = spawnSync('luajit', [join(dir, 'test.lua')], { encoding: 'utf8' });
  if (r.error) throw new Error(`luajit is needed for this test (make test installs it): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`luajit failed: ${r.stderr}\n${script}`);
  return r.stdout.trimEnd().split('\n').map((l) => (l === '<nil>' ? null : l.slice(1)));
}

const set = { name: 'my-request-id', value: 'canary' };
const base = { name: 'my-request-id', value: 'base' };

describe('colouring at the gateway (LuaJIT)', () => {
  it('when HEADER=VALUE: sets the header, takes the else branch otherwise, and a missing header too', () => {
    const rule: ColourRule = { kind: 'when', when: { name: 'agent', value: 'pc' }, set, otherwise: base };
    expect(runLua(rule, [{ agent: 'pc' }, { Agent: 'pc' }, { agent: 'mobile' }, {}, { agent: 'PC' }], 'my-request-id'))
      .to.deep.equal(['canary', 'canary', 'base', 'base', 'base']);
  });

  it('without --else leaves other requests as they came', () => {
    const rule: ColourRule = { kind: 'when', when: { name: 'agent', value: 'pc' }, set };
    expect(runLua(rule, [{ agent: 'pc' }, { agent: 'x' }, { agent: 'x', 'my-request-id': 'keep' }], 'my-request-id')).to.deep.equal(['canary', null, 'keep']);
  });

  it('overrides a value the client sent itself', () => {
    const rule: ColourRule = { kind: 'when', when: { name: 'agent', value: 'pc' }, set, otherwise: base };
    expect(runLua(rule, [{ agent: 'x', 'my-request-id': 'canary' }], 'my-request-id')).to.deep.equal(['base']);
  });

  it('quotes values that would break a Lua string', () => {
    const tricky = 'a"b\\c]]\u00e9';
    const rule: ColourRule = { kind: 'when', when: { name: 'x-q', value: tricky }, set: { name: 'x-out', value: 'v"1\\' } };
    expect(runLua(rule, [{ 'x-q': tricky }, { 'x-q': 'a"b' }], 'x-out')).to.deep.equal(['v"1\\', null]);
    expect(luaString('\u00e91')).to.equal('"\\195\\1691"');
  });

  it('percent by header: the share is close to N, every user always lands on the same side, missing ids go to else', () => {
    const rule: ColourRule = { kind: 'percent', percent: 10, by: { source: 'header', name: 'x-user-id' }, set, otherwise: base };
    const ids = Array.from({ length: 2000 }, (_, i) => `user-${i * 7919}`);
    const first = runLua(rule, ids.map((id) => ({ 'x-user-id': id })), 'my-request-id');
    const again = runLua(rule, ids.map((id) => ({ 'x-user-id': id })), 'my-request-id');
    expect(again).to.deep.equal(first);
    const canary = first.filter((v) => v === 'canary').length / ids.length;
    expect(canary).to.be.within(0.08, 0.12);
    // The Lua and the TypeScript hash agree, so docs and tests can say which user lands where.
    ids.forEach((id, i) => expect(first[i]).to.equal(bucketOf(id) < 10 ? 'canary' : 'base'));
    expect(runLua(rule, [{}, { 'x-user-id': '' }], 'my-request-id')).to.deep.equal(['base', 'base']);
  });

  it('percent by cookie: finds the cookie among others', () => {
    const rule: ColourRule = { kind: 'percent', percent: 50, by: { source: 'cookie', name: 'uid' }, set, otherwise: base };
    const ids = Array.from({ length: 400 }, (_, i) => `u${i}`);
    const out = runLua(rule, ids.map((id) => ({ cookie: `theme=dark; uid=${id}; lang=en` })), 'my-request-id');
    ids.forEach((id, i) => expect(out[i]).to.equal(bucketOf(id) < 50 ? 'canary' : 'base'));
    expect(out.filter((v) => v === 'canary').length / ids.length).to.be.within(0.4, 0.6);
    expect(runLua(rule, [{ cookie: 'theme=dark' }, {}], 'my-request-id')).to.deep.equal(['base', 'base']);
    expect(runLua({ ...rule, percent: 0 }, [{ cookie: 'uid=u1' }], 'my-request-id')).to.deep.equal(['base']);
    expect(runLua({ ...rule, percent: 100 }, [{ cookie: 'uid=u1' }], 'my-request-id')).to.deep.equal(['canary']);
  });

  it('builds an EnvoyFilter for the gateway with the Lua inserted before the router', () => {
    const f = colourEnvoyFilter('pc', 'istio-system', { istio: 'ingressgateway' }, { kind: 'when', when: { name: 'agent', value: 'pc' }, set });
    const patch = (f['spec'] as any).configPatches[0];
    expect(patch.match.context).to.equal('GATEWAY');
    expect(patch.patch.operation).to.equal('INSERT_BEFORE');
    expect(patch.match.listener.filterChain.filter.subFilter.name).to.equal('envoy.filters.http.router');
    expect(patch.patch.value.typed_config.inlineCode).to.contain('function envoy_on_request(request_handle)');
  });

  it('refuses malformed rules with the flag and token', () => {
    expect(() => parseHeaderValue('novalue', '--when')).to.throw('--when "novalue": expected HEADER=VALUE');
    expect(() => parseHeaderValue('bad header=x', '--set')).to.throw('"bad header" is not a valid HTTP header name');
    expect(() => parseBy('query:x')).to.throw('--by "query:x": expected header:NAME or cookie:NAME');
  });
});
