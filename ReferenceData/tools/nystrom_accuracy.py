#!/usr/bin/python3
"""Nystrom accuracy against exact Ncut, for NcutKernels (each propagation) and ncut_pytorch, on the same data.

Data: a seeded Gaussian mixture (numpy.random.default_rng(seed)): `clusters` centres ~ scale * N(0, I_d); cluster j has
spread 0.6 + 0.8 * U(0, 1) and size proportional to the law of floor(clusters * u**1.5) (unequal sizes); X is float32.
Methods, all on CPU with k = clusters eigenvectors:
  exact         `ncut embed --path exact` (every point in the graph; the reference)
  <sampling>+<propagation>
                `ncut embed --path nystrom --sampling <sampling> --propagation <propagation>` for uniform and farthestpoint
                landmarks, each with the classic, renormalized and ncutpytorch propagations (uniform+classic: the defaults)
  uniform+classic@S
                `--classic-landmarks S`: the classic extension over a random S of the landmarks, for each S in the optional
                sixth argument (comma-separated)
  ncut_pytorch  ncut_fn(X, n_eig=k) from the peer (Nystrom when n > 8192; its fpsample is replaced by an exact greedy walk)
Each method picks sigma with its own degree rule. Printed per method: sin of the largest principal angle between the
method's span and the exact top-k span, ||(I - U U^T) Q||_2 (Q an orthonormal basis of the method's columns), and the NMI
of k-means labels (scikit-learn KMeans, n_init=10, seed 0, on unit-normalized rows) against the mixture's truth.

Run from the repository root after `dotnet build -c Release`:
  NCUT_PYTORCH_PARENT=/work/main/.peer /usr/bin/python3 ReferenceData/tools/nystrom_accuracy.py [n d clusters scale seed [S,S,...]]
Defaults: 12000 64 20 2 1. Writes only into a temporary folder.
"""
import json, os, subprocess, sys, tempfile, time, types
import numpy as np

args = sys.argv[1:] + ["12000", "64", "20", "2", "1", ""][len(sys.argv) - 1:]
n, d, clusters, scale, seed = int(args[0]), int(args[1]), int(args[2]), float(args[3]), int(args[4])
subsets = [int(v) for v in args[5].split(",") if v]
sys.path.insert(0, os.environ["NCUT_PYTORCH_PARENT"])


def greedy_fps(pc, n_samples, h=7, start_idx=None):
    """Stand-in for the uninstallable `fpsample` (as shared/anchor/cpu_anchor.py): exact greedy walk from row 0."""
    pc = np.asarray(pc, dtype=np.float32)
    out = np.empty(n_samples, dtype=np.int64)
    far, dist = 0, np.full(pc.shape[0], np.inf, dtype=np.float32)
    for i in range(n_samples):
        out[i] = far
        np.minimum(dist, ((pc - pc[far]) ** 2).sum(1), out=dist)
        far = int(dist.argmax())
    return out


stub = types.ModuleType("fpsample")
stub.bucket_fps_kdline_sampling = greedy_fps
stub.fps_npdu_kdtree_sampling = lambda pc, m, start_idx=None: greedy_fps(pc, m)
sys.modules["fpsample"] = stub

import torch
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from ncut_pytorch.ncuts.ncut_nystrom import ncut_fn

rng = np.random.default_rng(seed)
centres = scale * rng.standard_normal((clusters, d))
spread = 0.6 + 0.8 * rng.random(clusters)
truth = np.minimum((clusters * rng.random(n) ** 1.5).astype(int), clusters - 1)
X = (centres[truth] + spread[truth, None] * rng.standard_normal((n, d))).astype(np.float32)

cli = ["dotnet", os.path.join("NcutKernels.Cli", "bin", "Release", "net10.0", "ncut.dll"), "embed"]
work = tempfile.mkdtemp(prefix="nystrom-accuracy-")
np.save(os.path.join(work, "X.npy"), X)


def ours(name, *flags):
    out = os.path.join(work, name + ".npy")
    t = time.perf_counter()
    subprocess.run(cli + ["--input", os.path.join(work, "X.npy"), "--n-eig", str(clusters), "--output", out, "--device", "cpu", *flags],
                   check=True, stdout=subprocess.DEVNULL)
    return np.load(out).astype(np.float64), time.perf_counter() - t


def sin_theta(exact, approx):
    u, _ = np.linalg.qr(exact)
    q, _ = np.linalg.qr(approx)
    return float(np.linalg.norm(q - u @ (u.T @ q), 2))


def nmi(u):
    rows = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    labels = KMeans(n_clusters=clusters, n_init=10, random_state=0).fit_predict(rows)
    return float(normalized_mutual_info_score(truth, labels))


exact, t_exact = ours("exact", "--path", "exact")
results = {"exact": (exact, t_exact)}
for sampling in ("uniform", "farthestpoint"):
    for propagation in ("classic", "renormalized", "ncutpytorch"):
        results[f"{sampling}+{propagation}"] = ours(f"{sampling}-{propagation}", "--path", "nystrom", "--sampling", sampling, "--propagation", propagation)
for s in subsets:
    results[f"uniform+classic@{s}"] = ours(f"classic-{s}", "--path", "nystrom", "--classic-landmarks", str(s))
torch.manual_seed(0)
t = time.perf_counter()
u_pt, _ = ncut_fn(torch.from_numpy(X), n_eig=clusters, device="cpu")
results["ncut_pytorch"] = (u_pt.numpy().astype(np.float64), time.perf_counter() - t)
for name, (u, seconds) in results.items():
    print(json.dumps({"n": n, "d": d, "clusters": clusters, "scale": scale, "seed": seed, "method": name,
                      "sin_theta": round(sin_theta(exact, u), 4), "nmi": round(nmi(u), 4), "seconds": round(seconds, 2)}), flush=True)
