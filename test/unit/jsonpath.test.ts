// -o jsonpath=TEMPLATE: kubectl's template syntax over what -o json prints, on every command with -o.
import { expect } from 'chai';
import { parseJsonPathTemplate, renderJsonPath } from '../../plugin/render/jsonpath.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo } from '../support/fixtures.js';
import { run } from '../support/run.js';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'reviews', labels: { app: 'reviews' } }, spec: { http: [{ route: [{ destination: { subset: 'v1' }, weight: 90 }, { destination: { subset: 'v2' }, weight: 10 }] }] } },
    { metadata: { name: 'ratings' }, spec: { http: [{ route: [{ destination: { subset: 'v1' } }] }] } },
  ],
};

describe('-o jsonpath=TEMPLATE', () => {
  it('evaluates kubectl\'s templates: fields, wildcards, indexes, filters, literals, @, nested ranges', () => {
    expect(renderJsonPath('{.items[0].metadata.name}', list)).to.equal('reviews');
    expect(renderJsonPath('{.items[*].metadata.name}', list)).to.equal('reviews ratings');
    expect(renderJsonPath('{.items[0].spec.http[0].route[*].weight}', list)).to.equal('90 10');
    expect(renderJsonPath('{.items[?(@.metadata.name=="ratings")].spec.http[0].route[0].destination.subset}', list)).to.equal('v1');
    expect(renderJsonPath('{.items[0].metadata.labels}', list)).to.equal('{"app":"reviews"}');
    expect(renderJsonPath('{range .items[*]}{.metadata.name}{"\\t"}{range .spec.http[0].route[*]}{.destination.subset}={.weight} {end}{"\\n"}{end}', list))
      .to.equal('reviews\tv1=90 v2=10 \nratings\tv1= \n');
    expect(renderJsonPath('name: {@.kind}', list)).to.equal('name: List');
    // A key that is missing prints nothing, as kubectl get's jsonpath does.
    expect(renderJsonPath('[{.items[0].nosuch}]', list)).to.equal('[]');
  });

  it('refuses a template that does not parse, naming what is wrong', () => {
    expect(() => parseJsonPathTemplate('{.items[0]')).to.throw('unclosed action at "{.items[0]"');
    expect(() => parseJsonPathTemplate('{range .items[*]}{.x}')).to.throw('{range .items[*]} without {end}');
    expect(() => parseJsonPathTemplate('{.x}{end}')).to.throw('{end} without {range ...}');
  });

  it('works on every command with -o json: an edit, status, history; a bad template is a usage error (exit 2)', async () => {
    const fake = new FakeCluster('default', bookinfo().objects);
    const edit = await run(fake, ['set-weight', 'reviews', 'v2=10', '-o', 'jsonpath={.spec.http[0].route[*].weight}']);
    expect(edit).to.deep.equal({ code: 0, stdout: '90 10', stderr: '' });
    // status exits 3 here (no pods behind the subsets), with either format.
    const status = await run(fake, ['status', 'reviews', '-o', 'jsonpath={range .routes[*]}{.index}: {.destinations[*].subset}{"\\n"}{end}']);
    expect(status).to.deep.equal({ code: 3, stdout: '0: v1 v2\n', stderr: '' });
    const history = await run(fake, ['history', 'reviews', '-o', 'jsonpath={[*].change}']);
    expect(history).to.deep.equal({ code: 0, stdout: 'set-weight v2=10', stderr: '' });
    const bad = await run(fake, ['set-weight', 'reviews', 'v2=20', '-o', 'jsonpath={.spec']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('error parsing jsonpath {.spec: unclosed action');
    expect(fake.vs('reviews').spec.http![0]!.route!.map((d) => d.weight)).to.deep.equal([90, 10]);
    const unknown = await run(fake, ['status', 'reviews', '-o', 'table']);
    expect(unknown.stderr).to.contain('allowed formats are: wide,json,yaml,jsonpath=TEMPLATE');
  });
});
