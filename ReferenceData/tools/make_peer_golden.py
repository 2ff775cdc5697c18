#!/usr/bin/python3
"""Golden references from ncut_pytorch itself (exact path, float64) for NcutKernels' PeerGoldenTests.

For two synthetic cases ("rbf_blobs": 400x16, seed 0, RBF; "cosine_blobs": 300x12, seed 1, cosine) it calls
ncut_pytorch's own building blocks, as its exact (n <= 8192, no Nystrom) path does:
  sigma = find_optimal_sigma(X, 0.25, 0.20, None, None, affinity_fn)[0]   (RBF: find_sigma_by_degree; cosine: 0.5)
  W     = affinity_fn(X, sigma=sigma)
  A     = _add_diagonal_shift(normalize_affinity(W), 1e-8)              (as _plain_ncut)
  eigenpairs of A by torch.linalg.eigh (float64, exact), flipped to descending, top k = 6,
  then correct_rotation (each column's sum >= 0).
_plain_ncut itself uses the randomized svd_lowrank; eigh is used here instead so the golden is exact.
Writes ReferenceData/peer/<case>/{X,eigenvalues,eigenvectors,sigma,degrees}.npy (float64, C order).
Eigenvalues are those of A, i.e. they INCLUDE the 1e-8 diagonal shift.

Run from the repository root (fpsample is not needed: a stand-in module is registered; with n <= 1000
ncut_pytorch never calls it):
  NCUT_PYTORCH_PARENT=/work/main/.peer /usr/bin/python3 ReferenceData/tools/make_peer_golden.py
"""
import os, sys, types
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent  # ReferenceData/
sys.path.insert(0, os.environ["NCUT_PYTORCH_PARENT"])

# Stand-in for the uninstallable `fpsample` (same as shared/anchor/cpu_anchor.py); unused for n <= 1000.
def greedy_fps(pc, n_samples, h=7, start_idx=None):
    pc = np.asarray(pc, dtype=np.float32)
    n = pc.shape[0]
    out = np.empty(n_samples, dtype=np.int64)
    far = 0 if start_idx is None else int(start_idx)
    dist = np.full(n, np.inf, dtype=np.float32)
    for i in range(n_samples):
        out[i] = far
        d = ((pc - pc[far]) ** 2).sum(1)
        np.minimum(dist, d, out=dist)
        far = int(dist.argmax())
    return out

stub = types.ModuleType("fpsample")
stub.bucket_fps_kdline_sampling = greedy_fps
stub.fps_npdu_kdtree_sampling = lambda pc, n, start_idx=None: greedy_fps(pc, n)
sys.modules["fpsample"] = stub

import torch
from ncut_pytorch.utils.math import rbf_affinity, cosine_affinity, normalize_affinity, correct_rotation
from ncut_pytorch.ncuts.ncut_nystrom import find_optimal_sigma, _add_diagonal_shift

K = 6


def blobs(n, d, c, seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-4, 4, size=(c, d))
    return centres[np.arange(n) % c] + rng.standard_normal((n, d))


def make(name, n, d, seed, affinity_fn):
    X = torch.from_numpy(blobs(n, d, 4, seed))  # float64
    sigma, _ = find_optimal_sigma(X, 0.25, 0.20, None, None, affinity_fn)
    sigma = float(sigma)
    W = affinity_fn(X, sigma=sigma)
    A = _add_diagonal_shift(normalize_affinity(W), 1e-8)
    s, u = torch.linalg.eigh(A)
    s, u = torch.flip(s, dims=[0]), torch.flip(u, dims=[1])
    # svd_lowrank (ncut_pytorch's default solver) ranks by |lambda|: check the top-k agree with it
    assert torch.all(s[:K] > s.abs()[K:].max()), f"{name}: top-{K} by magnitude differ from top-{K} by value"
    vals, vecs = s[:K], correct_rotation(u[:, :K])
    out = ROOT / "peer" / name
    out.mkdir(parents=True, exist_ok=True)
    for f, a in {"X": X, "eigenvalues": vals, "eigenvectors": vecs,
                 "sigma": torch.tensor([sigma], dtype=torch.float64), "degrees": W.sum(1)}.items():
        a = np.ascontiguousarray(a.numpy(), dtype=np.float64)
        np.save(out / f"{f}.npy", a)
    print(f"{name}: n={n} d={d} sigma={sigma!r} eigenvalues={vals.numpy()}")


make("rbf_blobs", 400, 16, 0, rbf_affinity)
make("cosine_blobs", 300, 12, 1, cosine_affinity)
