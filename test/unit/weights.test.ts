import { expect } from 'chai';
import { apportion, parseWeightIntents } from '../../core/weights.js';

describe('core/weights', () => {
  describe('apportion', () => {
    it('splits in proportion to the shares, integers totalling exactly the amount', () => {
      expect(apportion(90, [50, 50])).to.deep.equal([45, 45]);
      expect(apportion(90, [1, 2])).to.deep.equal([30, 60]);
      expect(apportion(100, [1, 1, 1])).to.deep.equal([34, 33, 33]);
      expect(apportion(10, [1, 1, 1])).to.deep.equal([4, 3, 3]);
    });
    it('gives ties to the earlier entry and splits all-zero shares evenly', () => {
      expect(apportion(1, [5, 5])).to.deep.equal([1, 0]);
      expect(apportion(50, [0, 0])).to.deep.equal([25, 25]);
    });
    it('hands the largest remainders the leftover units', () => {
      expect(apportion(7, [10, 20, 70])).to.deep.equal([1, 1, 5]);
      expect(apportion(0, [3, 4])).to.deep.equal([0, 0]);
      expect(apportion(5, [])).to.deep.equal([]);
    });
  });

  describe('parseWeightIntents', () => {
    it('reads SUBSET=PERCENT tokens', () => {
      expect(parseWeightIntents(['v2=10', 'v3=5'])).to.deep.equal([{ subset: 'v2', percent: 10 }, { subset: 'v3', percent: 5 }]);
    });
    it('quotes the bad token in every refusal', () => {
      expect(() => parseWeightIntents(['v2=ten'])).to.throw('"v2=ten": expected SUBSET=PERCENT');
      expect(() => parseWeightIntents(['v2=-1'])).to.throw('"v2=-1"');
      expect(() => parseWeightIntents(['v2=10.5'])).to.throw('"v2=10.5"');
      expect(() => parseWeightIntents(['v2=101'])).to.throw('"v2=101": percent must be between 0 and 100');
      expect(() => parseWeightIntents(['v2=60', 'v3=50'])).to.throw('percents total 110, more than 100');
      expect(() => parseWeightIntents(['v2=1', 'v2=2'])).to.throw('"v2=2": subset v2 is named twice');
      expect(() => parseWeightIntents([])).to.throw('name at least one SUBSET=PERCENT');
    });
  });
});
