/** `dplab runs note <run> [TEXT | --file FILE]`: prints, sets or removes a run's note. */
import { readFileSync } from 'node:fs';
import { UsageError, type Verb } from '../args.ts';
import { ARCHIVE, withArchive } from './common.ts';

/** The `note` verb. */
export const note: Verb = {
  usage: 'note <run> [TEXT | --file FILE]',
  about: 'No text: print the note; empty text: remove it.',
  options: { string: [ARCHIVE, 'file'] },
  run: (a) => {
    const [ref, ...words] = a.positional;
    if (ref === undefined) throw new UsageError('note needs a run');
    if (a.strings.file !== undefined && words.length) throw new UsageError('note takes TEXT or --file FILE, not both');
    return withArchive(a, {}, (archive) => {
      const r = archive.resolveRun(ref);
      const text = a.strings.file !== undefined ? readFileSync(a.strings.file, 'utf8') : words.length ? words.join(' ') : undefined;
      if (text === undefined) console.log(archive.getNote(r.uuid) ?? '(no note)');
      else {
        archive.setNote(r.uuid, text);
        console.log(text === '' ? `${r.uuid}: note removed` : `${r.uuid}: note saved`);
      }
      return 0;
    });
  },
};
