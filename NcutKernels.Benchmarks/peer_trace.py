#!/usr/bin/python3
"""ncut_pytorch's exact-gradient channel tracing on the features gpu-check wrote (trace-features.npy), for the side-by-side
timing of `gpu-check --only trace`: Ncut(n_eig=10, cosine affinity, σ=0.5, exact_gradient=True) on every row, its k-way
rotation (axis alignment, no gradient), hard labels by argmax, and for each cluster c the gradient of
−mean over its points of |score_c| with respect to the features (torch.autograd.grad, graph kept between clusters).

Usage (on the device machine, ncut_pytorch's source in a git-ignored folder):
    NCUT_PYTORCH_PARENT=<folder holding ncut_pytorch/> python3 NcutKernels.Benchmarks/peer_trace.py $OUT/trace-features.npy [clusters ...]
Prints one JSON line per cluster count: {"impl", "n", "d", "clusters", "first_s", "second_s", "backward_s"}; the second run is
the timed one (the first warms CUDA). ncut_pytorch's sampling needs the `fpsample` package; a greedy stand-in replaces it.
"""
import json
import os
import sys
import time
import types

import numpy as np

sys.path.insert(0, os.environ.get("NCUT_PYTORCH_PARENT", "."))


def greedy_fps(pc, n_samples, h=7, start_idx=None):
    pc = np.asarray(pc, dtype=np.float32)
    out = np.empty(n_samples, dtype=np.int64)
    far = 0 if start_idx is None else int(start_idx)
    dist = np.full(pc.shape[0], np.inf, dtype=np.float32)
    for i in range(n_samples):
        out[i] = far
        np.minimum(dist, ((pc - pc[far]) ** 2).sum(1), out=dist)
        far = int(dist.argmax())
    return out


fpsample = types.ModuleType("fpsample")
fpsample.bucket_fps_kdline_sampling = greedy_fps
fpsample.fps_npdu_kdtree_sampling = lambda pc, n, start_idx=None: greedy_fps(pc, n)
sys.modules["fpsample"] = fpsample

import torch  # noqa: E402
from ncut_pytorch import Ncut, kway_ncut  # noqa: E402
from ncut_pytorch.utils.math import cosine_affinity  # noqa: E402


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def trace(x_host, clusters, device):
    x = torch.from_numpy(x_host).to(device).requires_grad_(True)
    sync()
    start = time.perf_counter()
    eigvec = Ncut(n_eig=10, affinity_fn=cosine_affinity, sigma=0.5, exact_gradient=True, device=device).fit_transform(x)
    with torch.no_grad():
        rotation = kway_ncut(eigvec.detach(), n_clusters=clusters, ret_R=True)
    scores = eigvec[:, :clusters] @ rotation
    labels = scores.detach().argmax(1)
    sync()
    forward = time.perf_counter()
    grads = []
    for c in range(clusters):
        points = (labels == c).nonzero().flatten()
        if len(points) == 0:
            continue
        loss = -scores[points, c].abs().mean()
        grads.append(torch.autograd.grad(loss, x, retain_graph=True)[0][points].mean(0))
    sync()
    end = time.perf_counter()
    return end - start, end - forward, grads


def main():
    x_host = np.load(sys.argv[1]).astype(np.float32)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for clusters in [int(a) for a in sys.argv[2:]] or [4, 8]:
        first, _, _ = trace(x_host, clusters, device)
        second, backward, grads = trace(x_host, clusters, device)
        finite = all(bool(torch.isfinite(g).all()) for g in grads)
        print(json.dumps({"impl": "ncut_pytorch", "device": device, "n": x_host.shape[0], "d": x_host.shape[1], "clusters": clusters,
                          "first_s": first, "second_s": second, "backward_s": backward, "finite_gradients": finite}), flush=True)


if __name__ == "__main__":
    main()
