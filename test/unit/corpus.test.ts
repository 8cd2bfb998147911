// The analyze corpus (issue 15, part 2): analyze's allow/deny in istiod's domain against the verdicts read from
// Istio's validation source; with ISTIOD_VALIDATE_URL, against istiod itself. CI runs a slice (every classic and
// every 20th generated entry); ANALYZE_CORPUS=full runs all of it.
import { expect } from 'chai';
import { buildCorpus } from '../support/corpus.js';
import { analyzeIstioVerdict, istiodVerdict } from '../support/oracle.js';

describe('analyze corpus', () => {
  const corpus = buildCorpus();
  const full = process.env['ANALYZE_CORPUS'] === 'full' || !!process.env['ISTIOD_VALIDATE_URL'];
  const slice = full ? corpus : corpus.filter((e, i) => e.name.startsWith('classic/') || i % 20 === 0);

  it('holds at least 5,000 objects, valid ones mutated field by field plus classics', function () {
    this.timeout(20_000); // builds the corpus: thousands of structured clones
    expect(corpus.length).to.be.at.least(5000);
    expect(corpus.filter((e) => e.name.startsWith('classic/')).length).to.be.at.least(40);
    expect(corpus.filter((e) => e.expect === 'deny').length).to.be.at.least(1000);
  });

  it(`agrees with Istio's verdicts on ${full ? 'the whole corpus' : 'a slice'}`, function () {
    this.timeout(full ? 300_000 : 60_000); // the first run compiles each CRD schema (about a second per kind)
    const started = Date.now();
    const wrong = slice.map((e) => ({ e, got: analyzeIstioVerdict(e.object) }))
      .filter(({ e, got }) => got.verdict !== e.expect)
      .map(({ e, got }) => `${e.name}: expected ${e.expect}, analyze said ${got.verdict} ${got.codes.join(',')}`);
    if (full) console.log(`      analyze judged ${slice.length} objects in ${Date.now() - started} ms`);
    expect(wrong).to.deep.equal([]);
  });

  it('agrees with istiod on every object (ISTIOD_VALIDATE_URL)', async function () {
    const url = process.env['ISTIOD_VALIDATE_URL'];
    if (!url) this.skip();
    this.timeout(1_800_000); // thousands of round trips to a local istiod
    const differences: string[] = [];
    let i = 0;
    for (const e of corpus) {
      const ours = analyzeIstioVerdict(e.object);
      const theirs = await istiodVerdict(url!, e.object, `corpus-${i++}`);
      if (ours.verdict !== theirs.verdict) differences.push(`${e.name}: istiod ${theirs.verdict} (${theirs.message.slice(0, 160)}), analyze ${ours.verdict} ${ours.codes.join(',')}`);
    }
    console.log(`      agreement with istiod: ${corpus.length - differences.length}/${corpus.length}`);
    expect(differences).to.deep.equal([]);
  });
});
