import { beforeAll, describe, expect, it } from 'vitest';
import { checkKeypointCells } from '../../src/categories/keypoint-cells.js';
import { RUNTIMES } from '../../src/categories/registry.js';
import type { CellProblem } from '../../src/categories/types.js';
import { refusal, writeAll } from '../support/file-handlers.js';
import { imageSetup, jpegBytes, record } from '../support/image-family.js';

const NAMES = ['nose', 'left_eye', 'right_eye'];
const pts = (xy: [number, number][], names = NAMES) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, xy[i]])));
const vis = (v: unknown[], names = NAMES) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, v[i]])));

function problems(annotation: string | null, visibility: string | null): CellProblem[] {
  const out = checkKeypointCells([annotation, visibility]);
  return Array.isArray(out) ? out : [];
}

describe('keypoint_detection cells', () => {
  it('reads Annotation and Visibility and stores the annotation as compact JSON', () => {
    expect(RUNTIMES.keypoint_detection?.extraColumns).toEqual(['Annotation', 'Visibility']);
    const out = checkKeypointCells(['{ "nose": [0.5, 0.25],\n "left_eye": {"x": 10, "y": 20}, "right_eye": [3, 4] }', vis([1, 0, 1])]);
    expect(out).toEqual({ annotation: '{"nose":[0.5,0.25],"left_eye":{"x":10,"y":20},"right_eye":[3,4]}' });
  });

  it.each([
    [null, /Annotation is empty/],
    ['not json', /Annotation is not valid JSON/],
    ['[[1,2]]', /Annotation must be a JSON object/],
    ['{}', /Annotation holds no keypoints/],
    ['{"a":[1]}', /keypoint 1 of Annotation must be \[x, y\]/],
    ['{"a":[1,2],"b":[1,2,1]}', /keypoint 2 of Annotation must be \[x, y\]/],
    ['{"a":["1",2]}', /keypoint 1 of Annotation must be \[x, y\]/],
    ['{"a":{"x":1}}', /keypoint 1 of Annotation must be \[x, y\]/],
    ['{"a":{"x":1,"y":2,"v":1}}', /keypoint 1 of Annotation must be \[x, y\]/],
    ['{"a":[1,-2]}', /keypoint 1 of Annotation must have finite coordinates >= 0/],
    ['{"a":[1e999,2]}', /keypoint 1 of Annotation must have finite coordinates >= 0/],
  ])('refuses the Annotation %j', (annotation, message) => {
    const [p] = problems(annotation, '{"a":1}');
    expect(p).toMatchObject({ code: 'ANNOTATION_INVALID', field: 'Annotation' });
    expect(p!.message).toMatch(message);
  });

  it.each([
    [null, /Visibility is empty/],
    ['{"nose":1,"left_eye":1}', /same keypoint names as Annotation \(it has 2, Annotation has 3\)/],
    ['{"nose":1,"left_eye":1,"chin":1}', /same keypoint names/],
    [vis([1, 2, 1]), /entry 2 of Visibility must be 0 or 1/],
    [vis([1, '1', 1]), /entry 2 of Visibility must be 0 or 1/],
    [vis([true, 1, 1]), /entry 1 of Visibility must be 0 or 1/],
  ])('refuses the Visibility %j', (visibility, message) => {
    const [p] = problems(pts([[1, 1], [2, 2], [3, 3]]), visibility);
    expect(p).toMatchObject({ code: 'ANNOTATION_INVALID', field: 'Visibility' });
    expect(p!.message).toMatch(message);
  });

  it('never quotes names or values', () => {
    const [p] = problems('{"secret_name":[1,-1]}', '{"secret_name":1}');
    expect(p!.message).not.toContain('secret');
    const [q] = problems(pts([[1, 1], [2, 2], [3, 3]]), '{"nose":1,"left_eye":1,"secret_key":1}');
    expect(q!.message).not.toContain('secret');
  });
});

describe('keypoint_detection files', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await jpegBytes(40, 30);
  });
  const setup = () =>
    imageSetup(
      { category: 'keypoint_detection', target_size: [40, 30], number_of_keypoints: 3 },
      { 'images/a.jpg': jpeg, 'images/b.jpg': jpeg, 'images/c.jpg': jpeg },
    );
  const row = (n: number, file: string, xy: [number, number][], names = NAMES) => record(n, file, [], pts(xy, names));

  it('accepts normalised and pixel coordinates inside the image, borders included', async () => {
    const { plan, handler } = await setup();
    expect(plan.numberOfKeypoints).toBe(3);
    await handler.check(row(1, 'a', [[0, 0], [0.5, 1], [1, 0.25]]));
    await handler.check(row(2, 'b', [[40, 30], [12, 7], [0, 30]]));
  });

  it('refuses a point outside the image, naming its position', async () => {
    const { handler } = await setup();
    const err = await refusal(handler, row(1, 'a', [[1, 1], [41, 1], [1, 1]]));
    expect([err.code, err.context.field, err.message]).toEqual(['ANNOTATION_INVALID', 'Annotation', 'keypoint 2 of Annotation lies outside its 40x30 image']);
  });

  it('refuses a keypoint count other than number_of_keypoints', async () => {
    const { handler } = await setup();
    const err = await refusal(handler, row(1, 'a', [[1, 1], [2, 2]], ['nose', 'left_eye']));
    expect(err.message).toBe('Annotation has 2 keypoints; number_of_keypoints is 3');
  });

  it('refuses names that differ from the first row, in any order of completion, and resets per pass', async () => {
    const { handler } = await setup();
    const xy: [number, number][] = [[1, 1], [2, 2], [3, 3]];
    const checks = [
      handler.check(row(1, 'a', xy)),
      handler.check(row(2, 'b', xy, ['nose', 'right_eye', 'left_eye'])), // same names, other order: fine
      handler.check(row(3, 'c', xy, ['nose', 'left_eye', 'chin'])),
    ];
    const outcomes = await Promise.allSettled(checks);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe(
      'the keypoint names of Annotation differ from those of row 1; every row must use the same names',
    );
    await handler.open();
    await handler.check(row(5, 'c', xy, ['nose', 'left_eye', 'chin']));
  });

  it('copies the image only', async () => {
    const { plan, handler } = await setup();
    expect(await writeAll(plan, handler, [row(1, 'a', [[1, 1], [2, 2], [3, 3]])])).toEqual(['a.jpg']);
  });
});
