"""FID of two feature sets by the formula of the common PyTorch FID tool (pytorch-fid's
calculate_frechet_distance): numpy's mean and cov, scipy.linalg.sqrtm of sigma1 @ sigma2,
an eps * I offset when that is not finite, the real part when it comes back complex.
Independent of our implementation (sidecar/engine/eval/frechet.ts), to check it.

Also the same distance through symmetric eigen-decompositions (fid_symmetric) and
through the SVD of the centred samples' cross product (fid_svd), which show how much
of a difference is scipy's sqrtm on near-singular products.

  /usr/bin/python3 fid_reference.py a.npy b.npy  ->  one JSON line on stdout
"""
import json
import sys
import time

import numpy as np
from scipy import linalg


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    offset = False
    if not np.isfinite(covmean).all():
        offset = True
        off = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + off).dot(sigma2 + off))
    imag = 0.0
    if np.iscomplexobj(covmean):
        # pytorch-fid raises when the diagonal's imaginary part exceeds 1e-3; reported here instead.
        imag = float(np.max(np.abs(np.diagonal(covmean).imag)))
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)), offset, imag


def frechet_distance_symmetric(mu1, sigma1, mu2, sigma2):
    """The same distance through symmetric eigen-decompositions (LAPACK's eigh), without a
    general matrix square root: Tr((S1 S2)^1/2) = sum sqrt(eig(W^T S2 W)), W = V L^1/2."""
    diff = mu1 - mu2
    lam, v = np.linalg.eigh(sigma1)
    w = v * np.sqrt(np.clip(lam, 0, None))
    c = w.T.dot(sigma2).dot(w)
    tr = np.sqrt(np.clip(np.linalg.eigvalsh((c + c.T) / 2), 0, None)).sum()
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr)


def frechet_distance_svd(a, b):
    """The same distance from the samples: Tr((S1 S2)^1/2) is the nuclear norm of
    Xa Xb^T (centred rows scaled by 1/sqrt(n - 1)), by LAPACK's SVD."""
    xa = (a - a.mean(axis=0)) / np.sqrt(len(a) - 1)
    xb = (b - b.mean(axis=0)) / np.sqrt(len(b) - 1)
    diff = a.mean(axis=0) - b.mean(axis=0)
    nuclear = np.linalg.svd(xa.dot(xb.T), compute_uv=False).sum()
    return float(diff.dot(diff) + (xa ** 2).sum() + (xb ** 2).sum() - 2 * nuclear)


def main():
    a = np.load(sys.argv[1]).astype(np.float64)
    b = np.load(sys.argv[2]).astype(np.float64)
    t = time.time()
    moments = (a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))
    fid, offset, imag = frechet_distance(*moments)
    seconds = time.time() - t
    print(json.dumps({"fid": fid, "offset": offset, "imag_diag_max": imag, "seconds": seconds,
                      "fid_symmetric": frechet_distance_symmetric(*moments),
                      "fid_svd": frechet_distance_svd(a, b),
                      "numpy": np.__version__, "scipy": __import__("scipy").__version__}))


if __name__ == "__main__":
    main()
