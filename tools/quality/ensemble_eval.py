#!/usr/bin/env python3
"""Scores single models and probability-averaged ensembles on labelled slices of a stack.

Each model's raw foreground probability comes from
    mitoseg predict STACK --model M.msm --z-smooth 0 --min-object 0 --prob p-TAG.tif --out m-TAG.tif
An ensemble TAG1+TAG2+... averages those probabilities; then the post-processing of
`mitoseg predict` is applied (mean over +-R slices clamped at the stack's ends, p > T, 3D objects
of fewer than N voxels dropped, 26-connected) and the foreground IoU is reported:

  fixed  -- at fixed settings (no choice made on the scored slices)
  choose -- with R, T, N chosen on CAL by `mitoseg calibrate`'s grid (first best in its order)

Objects are counted within 40 slices beyond the scored ranges (an object reaching further is far
above any size threshold); this gives the same figures as the whole stack on the EPFL data.
Needs python3-numpy, python3-scipy, python3-tifffile (Debian 12).

usage: ensemble_eval.py fixed  --truth MASK.tif --dir D --ranges 133-148,149-164,133-164 SPEC...
       ensemble_eval.py choose --truth MASK.tif --dir D --cal 133-148 --score 149-164 SPEC...
"""
import argparse
import numpy as np
import tifffile
from scipy import ndimage

GRID_R = (0, 1, 2, 3)
GRID_T = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
GRID_N = (0, 500, 1000, 2000, 5000, 10000, 20000)
FIXED = ((2, 0.45, 10000), (2, 0.45, 20000), (2, 0.5, 20000), (3, 0.45, 20000))
S26 = np.ones((3, 3, 3), bool)


def span(text):
    a, b = map(int, text.split('-'))
    return a, b


def z_mean(p, r, base, z0, n, depth):
    """Mean over +-r slices (clamped at the stack's ends, 0 .. depth-1) of global slices
    z0 .. z0+n-1, where p[0] is global slice `base` and p holds every slice needed."""
    if r == 0:
        return p[z0 - base:z0 - base + n]
    c = np.cumsum(np.concatenate([np.zeros((1,) + p.shape[1:]), p]), axis=0, dtype=np.float64)
    out = np.empty((n,) + p.shape[1:], np.float32)
    for z in range(n):
        g = z + z0
        a, b = max(0, g - r), min(depth - 1, g + r)
        out[z] = (c[b - base + 1] - c[a - base]) / (b - a + 1)
    return out


def objects(mask):
    """26-connected 3D objects: (label volume, voxel count per label; label 0 = background)."""
    lab, count = ndimage.label(mask, S26)
    return lab, np.bincount(lab.ravel(), minlength=count + 1)


class Scorer:
    def __init__(self, truth_path, folder, ranges):
        depth = tifffile.TiffFile(truth_path).series[0].shape[0]
        self.depth, self.folder = depth, folder
        self.z0 = max(0, min(a for a, _ in ranges) - 40)
        self.z1 = min(depth - 1, max(b for _, b in ranges) + 40)
        self.truth = tifffile.imread(truth_path)[self.z0:self.z1 + 1] > 0
        self.cache = {}

    def probability(self, spec):
        tags = spec.split('+')
        total = None
        for tag in tags:
            if tag not in self.cache:   # with 3 slices of halo for the smoothing
                p = tifffile.imread(f'{self.folder}/p-{tag}.tif')
                self.cache[tag] = p[max(0, self.z0 - 3):self.z1 + 4].astype(np.float32)
            total = self.cache[tag].copy() if total is None else total + self.cache[tag]
        return total / len(tags)

    def smooth(self, p, r):
        return z_mean(p, r, max(0, self.z0 - 3), self.z0, self.z1 - self.z0 + 1, self.depth)

    def scores(self, p, ranges, rs=GRID_R, ts=GRID_T, ns=GRID_N):
        """[((r, t, n), [IoU per range])] in the calibration grid's order."""
        rows = []
        for r in rs:
            ps = self.smooth(p, r)
            for t in ts:
                lab, size = objects(ps > t)
                count = len(size) - 1
                parts = []
                for a, b in ranges:
                    l = lab[a - self.z0:b - self.z0 + 1].ravel()
                    tr = self.truth[a - self.z0:b - self.z0 + 1].ravel()
                    parts.append((np.bincount(l, minlength=count + 1), np.bincount(l, weights=tr, minlength=count + 1), tr.sum()))
                for n in ns:
                    keep = size >= n
                    keep[0] = False
                    ious = []
                    for vox, hit, total in parts:
                        inter = hit[keep].sum()
                        ious.append(inter / (vox[keep].sum() + total - inter))
                    rows.append(((r, t, n), ious))
        return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('mode', choices=('fixed', 'choose'))
    ap.add_argument('--truth', required=True)
    ap.add_argument('--dir', default='.')
    ap.add_argument('--ranges', default='133-148,149-164,133-164')
    ap.add_argument('--cal')
    ap.add_argument('--score')
    ap.add_argument('specs', nargs='+')
    a = ap.parse_args()
    if a.mode == 'fixed':
        ranges = [span(x) for x in a.ranges.split(',')]
        s = Scorer(a.truth, a.dir, ranges)
        print('model(s); per setting (+-R, T, N): IoU on ' + ', '.join(a.ranges.split(',')))
        for spec in a.specs:
            p = s.probability(spec)
            cells = []
            for r, t, n in FIXED:
                (_, ious), = s.scores(p, ranges, (r,), (t,), (n,))
                cells.append(f'+-{r} {t:.2f} {n}: ' + ' '.join(f'{x:.3f}' for x in ious))
            print(f'{spec:40s} ' + ' | '.join(cells), flush=True)
    else:
        if not a.cal or not a.score:
            ap.error('choose needs --cal and --score')
        cal, score = span(a.cal), span(a.score)
        both = (min(cal[0], score[0]), max(cal[1], score[1]))
        s = Scorer(a.truth, a.dir, [cal, score])
        for spec in a.specs:
            rows = s.scores(s.probability(spec), [cal, score, both])
            (r, t, n), ious = max(rows, key=lambda row: row[1][0])   # first best, as mitoseg calibrate
            print(f'{spec:40s} chosen on {a.cal}: +-{r} {t:.2f} {n}: {a.cal} {ious[0]:.4f}, '
                  f'{a.score} {ious[1]:.4f}, {both[0]}-{both[1]} {ious[2]:.4f}', flush=True)


if __name__ == '__main__':
    main()
