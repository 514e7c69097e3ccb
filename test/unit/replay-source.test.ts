import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openReplaySource } from '../../src/ingest/sources/replay.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import { dataPath } from '../helpers/paths.js';

const volumes = (items: SourceItem[]) => items.filter((i): i is SourceItem & { kind: 'volume' } => i.kind === 'volume').map((i) => i.volume);

describe('replay sources', () => {
  it('a 4D NIfTI that is not named as a BIDS run replays with its header warnings only', async () => {
    const source = await openReplaySource(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'), { speed: 0 });
    const got = volumes(await lastValueFrom(source.items().pipe(toArray())));
    expect(got.map((v) => v.identity.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.flatMap((v) => v.warnings.map((w) => w.code))).toEqual([]);
    expect(source.description.repetitionTime).toBe(1.5);
  });

  it('K20 a BIDS run takes its TR from the sidecar', async () => {
    const source = await openReplaySource(dataPath('haxby2001-slice', 'sub-1', 'func', 'sub-1_task-objectviewing_run-01_bold.nii.gz'), { speed: 0 });
    expect(source.description.repetitionTime).toBe(2.5);
  });

  it('K12 a DICOM folder replays each image once, the copy reported on the TR it repeats', async () => {
    const source = await openReplaySource(dataPath('rtcloud-faces', 'dicom'), { speed: 0 });
    const got = volumes(await lastValueFrom(source.items().pipe(toArray())));
    expect(got.map((v) => v.identity.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const duplicates = got.flatMap((v) => v.warnings.filter((w) => w.code === 'VOLUME_DUPLICATE').map(() => v.identity.index));
    expect(duplicates).toEqual([9]);
  });
});
