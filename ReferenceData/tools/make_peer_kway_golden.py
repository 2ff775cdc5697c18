#!/usr/bin/python3
"""Golden k-way rotations from ncut_pytorch itself (axis_align via kway_ncut, and quick_kway) for NcutKernels' KwayPeerGoldenTests.

Input: ReferenceData/peer/rbf_blobs/eigenvectors.npy (400 x 6, ncut_pytorch's own float64 eigenvectors of 4 blobs,
made by make_peer_golden.py). n = 400 <= n_sample = 10240, so neither path samples rows.
Cases (R is c x k; labels = argmax of eigvec[:, :c] @ R, as kway_ncut / kway_transform score rows):
  axis_align_k4  kway_ncut(eigvec, n_clusters=4, ret_R=True)                        (c = 4, k = 4)
  axis_align_k6  kway_ncut(eigvec, n_clusters=6, ret_R=True)                        (c = 6, k = 6)
  kmeans_k4      quick_kway(eigvec, n_clusters=4, n_eig=6, kmeans_iter=300, ret_R=True)   (c = 6, k = 4)
  kmeans_k6      quick_kway(eigvec, n_clusters=6, n_eig=6, kmeans_iter=300, ret_R=True)   (c = 6, k = 6)
Writes ReferenceData/peer/kway/<case>_R.npy (float64) and <case>_labels.npy (float64 holding integers; NcutKernels' Npy reads float32/float64 only).

fpsample is not installed, so ncut_kway's farthest_point_sampling is replaced by an exact greedy walk that starts
at row 0, never picks a row twice and breaks ties to the lowest index, in float64 and without the 8-dimensional
projection (fpsample starts at a random row): the same rule as NcutKernels' FarthestPointSampling.Greedy, so both
sides start from the same rows. Everything else is ncut_pytorch's code (axis_align iterates in float32).

Run from the repository root:
  NCUT_PYTORCH_PARENT=/work/main/.peer /usr/bin/python3 ReferenceData/tools/make_peer_kway_golden.py
"""
import os, sys, types
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent  # ReferenceData/
sys.path.insert(0, os.environ["NCUT_PYTORCH_PARENT"])
sys.modules["fpsample"] = types.ModuleType("fpsample")  # never called: farthest_point_sampling is replaced below

import torch
import ncut_pytorch.ncuts.ncut_kway as kway


def greedy_fps(X, n_sample, **_):
    X = X.detach().to(torch.float64).numpy()
    n = X.shape[0]
    if n_sample >= n:
        return torch.arange(n)
    out = np.empty(n_sample, dtype=np.int64)
    dist = np.full(n, np.inf)
    far = 0
    for i in range(n_sample):
        out[i] = far
        dist[far] = -1.0
        d = ((X - X[far]) ** 2).sum(1)
        live = dist >= 0
        dist[live] = np.minimum(dist[live], d[live])
        far = int(dist.argmax())
    return torch.from_numpy(out)


kway.farthest_point_sampling = greedy_fps

eigvec = torch.from_numpy(np.load(ROOT / "peer" / "rbf_blobs" / "eigenvectors.npy"))
out = ROOT / "peer" / "kway"
out.mkdir(parents=True, exist_ok=True)
cases = {
    "axis_align_k4": lambda: kway.kway_ncut(eigvec, n_clusters=4, ret_R=True),
    "axis_align_k6": lambda: kway.kway_ncut(eigvec, n_clusters=6, ret_R=True),
    "kmeans_k4": lambda: kway.quick_kway(eigvec, n_clusters=4, n_eig=6, kmeans_iter=300, ret_R=True),
    "kmeans_k6": lambda: kway.quick_kway(eigvec, n_clusters=6, n_eig=6, kmeans_iter=300, ret_R=True),
}
for name, fit in cases.items():
    R = fit().to(torch.float64)
    labels = (eigvec[:, : R.shape[0]] @ R).argmax(dim=1)
    np.save(out / f"{name}_R.npy", np.ascontiguousarray(R.numpy()))
    np.save(out / f"{name}_labels.npy", labels.numpy().astype(np.float64))  # float64: what Npy.Read takes
    print(f"{name}: R {tuple(R.shape)}, cluster sizes {np.bincount(labels.numpy(), minlength=R.shape[1])}")
