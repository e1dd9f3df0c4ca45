#!/usr/bin/env python3
"""Where a model's errors are: the share of the union (TP + FP + FN) that is false positive or
false negative, and how much of each lies within R pixels (in-slice Euclidean distance) of an
edge of the true mask, per z-range.

The mask is what `mitoseg predict` gives: the raw probability p-TAG.tif (from
    mitoseg predict STACK --model M.msm --z-smooth 0 --min-object 0 --prob p-TAG.tif --out m.tif)
averaged over +-Z slices (clamped at the stack's ends), p > T, 3D objects (26-connected) of
fewer than N voxels dropped (ensemble_eval.py's rule, imported).

usage: error_bands.py --truth MASK.tif --prob p-TAG.tif [--z 2 --threshold 0.45 --min-object 10000]
                      [--band 3] [--ranges 0-31,32-65,66-97,98-132,133-164]
Needs python3-numpy, python3-scipy, python3-tifffile (Debian 12).
"""
import argparse
import numpy as np
import tifffile
from scipy import ndimage

from ensemble_eval import objects, z_mean   # the post-processing of `mitoseg predict`, once


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--truth', required=True)
    ap.add_argument('--prob', required=True)
    ap.add_argument('--z', type=int, default=2)
    ap.add_argument('--threshold', type=float, default=0.45)
    ap.add_argument('--min-object', type=int, default=10000)
    ap.add_argument('--band', type=float, default=3)
    ap.add_argument('--ranges', default='0-31,32-65,66-97,98-132,133-164')
    a = ap.parse_args()
    truth = tifffile.imread(a.truth) > 0
    p = tifffile.imread(a.prob).astype(np.float32)
    if p.shape != truth.shape:
        raise SystemExit(f'{a.prob}: shape {p.shape} differs from {a.truth}: {truth.shape}')
    p = z_mean(p, a.z, 0, 0, p.shape[0], p.shape[0])
    lab, size = objects(p > a.threshold)
    keep = size >= a.min_object
    keep[0] = False
    pred = keep[lab]
    print(f'{a.prob}: +-{a.z}, threshold {a.threshold}, smallest object {a.min_object}; '
          f'shares of the union, "edge" = within {a.band:g} px of a true edge')
    print('slices     IoU    FP (edge)       FN (edge)       predicted/true volume')
    for text in a.ranges.split(','):
        z0, z1 = map(int, text.split('-'))
        g, q = truth[z0:z1 + 1], pred[z0:z1 + 1]
        near = np.zeros_like(g)
        for k in range(g.shape[0]):
            d = np.where(g[k], ndimage.distance_transform_edt(g[k]), ndimage.distance_transform_edt(~g[k]))
            near[k] = d <= a.band
        tp, fp, fn = (g & q).sum(), (q & ~g).sum(), (g & ~q).sum()
        u = float(tp + fp + fn)
        print(f'{text:9s} {tp / u:.3f}  {fp / u:.3f} ({(q & ~g & near).sum() / u:.3f})  '
              f'{fn / u:.3f} ({(g & ~q & near).sum() / u:.3f})  {q.sum() / g.sum():.3f}')


if __name__ == '__main__':
    main()
