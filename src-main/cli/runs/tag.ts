/** `dplab runs tag <run> TAG... [--remove TAG]...`: adds and removes a run's tags. */
import { controlCharIssue, printable } from '../../common/text.ts';
import { UsageError, type Verb } from '../args.ts';
import { ARCHIVE, withArchive } from './common.ts';

/** The `tag` verb. */
export const tag: Verb = {
  usage: 'tag <run> TAG... [--remove TAG]...',
  options: { string: [ARCHIVE], multi: ['remove'] },
  run: (a) => {
    const [ref, ...tags] = a.positional;
    if (ref === undefined) throw new UsageError('tag needs a run');
    for (const t of tags) {
      const why = controlCharIssue(t);
      if (why) throw new UsageError(`tag '${printable(t)}' ${why}`);
    }
    return withArchive(a, {}, (archive) => {
      const r = archive.resolveRun(ref);
      archive.addTags(r.uuid, tags);
      archive.removeTags(r.uuid, a.multi.remove ?? []);
      console.log(`${r.uuid}: ${printable(archive.getRun(r.uuid)!.tags.join(', ')) || '(no tags)'}`);
      return 0;
    });
  },
};
