import { readHistory } from '../../core/history.js';
import { describeObject } from '../../core/model.js';
import { Reads, historyCarriers, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type GlobalArgs, checkOutput } from '../options.js';
import { printObject } from '../render/mutation.js';
import { table } from '../render/table.js';

interface Args extends GlobalArgs { service: string; vs?: string; output?: string }

export const historyCommand: GrayCommand = {
  command: 'history <service>',
  describe: 'List the changes kubectl gray recorded on the VirtualServices and Gateway API routes that route to a service',
  builder: (y) => y
    .positional('service', { type: 'string', describe: 'The service (short name or FQDN)' })
    .option('vs', { type: 'string', describe: 'Read only this VirtualService (NAME or NAMESPACE/NAME)' })
    .option('output', { alias: 'o', type: 'string', describe: 'json|yaml|jsonpath=TEMPLATE: the entries with their specs' })
    .example('$0 history reviews', 'then: kubectl gray undo reviews --to-revision N'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const output = checkOutput(args.output, ['json', 'yaml']);
    const cluster = await ctx.connect(args);
    const reads = new Reads(cluster, serviceHosts(args.service, cluster.namespace, args.vs));
    const histories = (await historyCarriers(reads, { ...args, namespace: cluster.namespace })).map((vs) => ({ vs, entries: readHistory(vs) }));
    const several = histories.filter((h) => h.entries.length > 0).length > 1;
    if (output) {
      printObject(ctx.io, several ? histories.map((h) => ({ virtualService: describeObject(h.vs), entries: h.entries })) : histories.find((h) => h.entries.length)?.entries ?? [], output);
      return EXIT.ok;
    }
    if (histories.every((h) => h.entries.length === 0)) {
      ctx.io.err(`No kubectl gray history on ${histories.map((h) => describeObject(h.vs)).join(', ')}.\n`);
      return EXIT.ok;
    }
    let first = true;
    for (const h of histories.filter((x) => x.entries.length > 0)) {
      if (several) ctx.io.out(`${first ? '' : '\n'}${describeObject(h.vs)}\n`);
      first = false;
      ctx.io.out(table(['REVISION', 'TIME', 'CHANGE'], h.entries.map((e) => [String(e.revision), e.time, e.change])));
    }
    return EXIT.ok;
  },
};
