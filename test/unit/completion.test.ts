// Completion in cobra's protocol (what kubectl asks kubectl_complete-gray): commands, flags, flag values and live
// names, read from the commands' own declarations.
import { expect } from 'chai';
import { COMMANDS } from '../../plugin/all-commands.js';
import { DIRECTIVE, type NameSource, complete, describeCommand, renderCompletion } from '../../plugin/completion.js';

const specs = COMMANDS.map(describeCommand);
const asked: string[] = [];
const names: NameSource = {
  namespaces: async () => { asked.push('namespaces'); return ['default', 'shop']; },
  contexts: async () => ['dev', 'prod'],
  services: async (flags) => { asked.push(`services ${flags.namespace ?? ''}`); return ['reviews', 'ratings', 'reviews']; },
  subsets: async (flags, service) => { asked.push(`subsets ${service} ${flags.namespace ?? ''}`); return service === 'reviews' ? ['v1', 'v2', 'v3'] : []; },
};
const values = async (...words: string[]) => (await complete(words, specs, names)).candidates.map((c) => c.value);

describe('completion (cobra protocol)', () => {
  beforeEach(() => { asked.length = 0; });

  it('reads each command\'s positionals and flags from its builder', () => {
    const setWeight = specs.find((s) => s.verb === 'set-weight')!;
    expect(setWeight.positionals).to.deep.equal([{ name: 'service', variadic: false }, { name: 'weights', variadic: true }]);
    expect(setWeight.flags.map((f) => f.name)).to.include.members(['vs', 'dry-run', 'output', 'keep-zero', 'base', 'force']);
    expect(specs.find((s) => s.verb === 'lane')!.positionals[0]).to.deep.equal({ name: 'action', variadic: false, choices: ['create', 'status', 'delete'] });
  });

  it('completes commands, then flags not yet given, then flag values', async () => {
    expect(await values('s')).to.deep.equal(['status', 'set-weight', 'switch']);
    expect(await values('set-weight', 'reviews', '--dry-run', 'client', '--d')).to.deep.equal([]);
    expect(await values('set-weight', '--k')).to.deep.equal(['--keep-zero', '--kubeconfig']);
    expect(await values('status', '-o', 'j')).to.deep.equal(['json', 'jsonpath=']);
    expect((await complete(['status', '-o', 'j'], specs, names)).directive).to.equal(DIRECTIVE.noFileComp | DIRECTIVE.noSpace);
    expect(await values('lane', '')).to.deep.equal(['create', 'delete', 'status']);
    expect(await values('status', '--context', '')).to.deep.equal(['dev', 'prod']);
    expect((await complete(['analyze', ''], specs, names)).directive).to.equal(DIRECTIVE.default); // files
  });

  it('asks the cluster only for the names in question, in the namespace the words name', async () => {
    expect(await values('switch', '-n', 'shop', 'rev')).to.deep.equal(['reviews']);
    expect(await values('switch', '-n', 'shop', 'reviews', '')).to.deep.equal(['v1', 'v2', 'v3']);
    expect(await values('--namespace=shop', 'set-weight', 'reviews', 'v2=10', '')).to.deep.equal(['v1=', 'v3=']);
    expect(asked).to.deep.equal(['services shop', 'subsets reviews shop', 'subsets reviews shop']);
    expect(await values('set-weight', '-n', '')).to.deep.equal(['default', 'shop']);
  });

  it('offers nothing, quietly, when the cluster cannot answer; prints cobra\'s lines', async () => {
    const failing: NameSource = { ...names, services: async () => { throw new Error('connection refused'); } };
    expect(await complete(['switch', ''], specs, failing)).to.deep.equal({ candidates: [], directive: DIRECTIVE.noFileComp });
    expect(renderCompletion({ candidates: [{ value: 'status', description: 'Show\nmore' }, { value: 'x' }], directive: 4 }, true)).to.equal('status\tShow\nx\n:4\n');
    expect(renderCompletion({ candidates: [{ value: 'status', description: 'Show' }], directive: 4 }, false)).to.equal('status\n:4\n');
  });
});
