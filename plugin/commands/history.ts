import { readHistory } from '../../core/history.js';
import { findVirtualService } from '../../core/target.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type GlobalArgs, checkOutput } from '../options.js';
import { printObject } from '../render/mutation.js';
import { table } from '../render/table.js';

interface Args extends GlobalArgs { service: string; vs?: string; output?: string }

export const historyCommand: GrayCommand = {
  command: 'history <service>',
  describe: 'List the changes kubectl gray recorded on a VirtualService',
  builder: (y) => y
    .positional('service', { type: 'string', describe: 'The service (short name or FQDN)' })
    .option('vs', { type: 'string', describe: 'Read this VirtualService instead of finding it by host' })
    .option('output', { alias: 'o', type: 'string', describe: 'json|yaml: the entries with their specs' })
    .example('$0 history reviews', 'then: kubectl gray undo reviews --to-revision N'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    checkOutput(args.output, ['json', 'yaml']);
    const cluster = await ctx.connect(args);
    const vs = findVirtualService(args.service, cluster.namespace, await cluster.listVirtualServices(cluster.namespace), args.vs);
    const entries = readHistory(vs);
    if (args.output) {
      printObject(ctx.io, entries, args.output as 'json' | 'yaml');
      return EXIT.ok;
    }
    if (entries.length === 0) {
      ctx.io.err(`No kubectl gray history on VirtualService ${cluster.namespace}/${vs.metadata.name}.\n`);
      return EXIT.ok;
    }
    ctx.io.out(table(['REVISION', 'TIME', 'CHANGE'], entries.map((e) => [String(e.revision), e.time, e.change])));
    return EXIT.ok;
  },
};
