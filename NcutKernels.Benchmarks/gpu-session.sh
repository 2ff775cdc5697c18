#!/usr/bin/env bash
# gpu-session.sh: one GPU pass for a session lent a device machine — `pack` here, `run` there (no .NET on the device).
#   here:   bash NcutKernels.Benchmarks/gpu-session.sh pack   → .gpu/app.tar.xz (self-contained linux-x64 build, < 64 MiB)
#   device: run tool, carry [".gpu/app.tar.xz", "NcutKernels.Benchmarks/gpu-session.sh"], command
#           `bash NcutKernels.Benchmarks/gpu-session.sh run`  → $OUT/gpu-check.md, $OUT/*.log, $OUT/bdn/ (BenchmarkDotNet reports)
# gpu-check covers accuracy (CUDA vs CPU float64: affinity, eigenpairs, exact and Nyström gradients, channel tracing) and
# timings (affinity, eigen-solve, exact fwd/bwd at 4096/8192 × 384, Nyström at 10⁴–10⁶ × 768); the BenchmarkDotNet pass
# times the backward and Nyström kernel suites in-process. Budget: about 6–9 minutes of device time.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    rm -rf .gpu/app .gpu/app.tar.xz
    dotnet publish NcutKernels.Benchmarks -c Release -r linux-x64 --self-contained true -o .gpu/app -v quiet
    rm -f .gpu/app/*.pdb
    tar -C .gpu -cf - app | xz -T2 -6 > .gpu/app.tar.xz
    ls -la .gpu/app.tar.xz
    ;;
  run)
    out="${OUT:-/tmp/nk-out}"
    mkdir -p "$out" /tmp/nk
    tar -xJf .gpu/app.tar.xz -C /tmp/nk
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/device.txt" 2>&1 || true
    cd /tmp/nk/app
    timeout 330 ./NcutKernels.Benchmarks gpu-check --out "$out" > "$out/gpu-check.log" 2>&1 || echo "gpu-check exit $?" >> "$out/gpu-check.log"
    NCUT_BENCH_DEVICES=cuda timeout 200 ./NcutKernels.Benchmarks --filter '*BackwardBenchmarks*' '*NystromKernelBenchmarks*' \
      --job short --inProcess --artifacts "$out/bdn" > "$out/bdn.log" 2>&1 || echo "bdn exit $?" >> "$out/bdn.log"
    tail -5 "$out/gpu-check.log"
    ;;
  *)
    echo "usage: $0 pack|run" >&2
    exit 2
    ;;
esac
