#!/usr/bin/env bash
# gpu-session.sh: one GPU pass for a session lent a device machine — `pack` here, `run` there (no .NET on the device).
#   here:   bash NcutKernels.Benchmarks/gpu-session.sh pack   → .gpu/app.tar.xz (self-contained linux-x64 build, < 64 MiB)
#   device: run tool, carry [".gpu/app.tar.xz", "NcutKernels.Benchmarks/gpu-session.sh"], command
#           `bash NcutKernels.Benchmarks/gpu-session.sh run [check,peer,trace,bdn]` → $OUT/gpu-check.md, $OUT/*.log,
#           $OUT/anchor_results.json (ncut_pytorch on the same card; carry .peer too), $OUT/bdn-results.md (BenchmarkDotNet)
# gpu-check covers accuracy (CUDA vs CPU float64: affinity, eigenpairs, exact and Nyström gradients, channel tracing) and
# timings (affinity, eigen-solve, exact fwd/bwd at 4096/8192 × 384, Nyström at 10⁴–10⁶ × 768); the BenchmarkDotNet pass
# times the backward and Nyström suites in-process. NK_CHECK_ARGS adds gpu-check arguments (`--only nystrom`: its Nyström forward table alone). Measured on an H200 (2026-11-26): check ≈ 110 s, peer ≈ 70 s, bdn more
# than 125 s (cut there); NK_CHECK_S, NK_PEER_S and NK_BDN_S cap each part (NK_BDN_FILTER narrows the BenchmarkDotNet pass), and the machine's start adds 30 s or more.
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
    # parts: any of check, peer, trace, bdn (default: check, peer, bdn); peer and trace's second half need .peer/ (ncut_pytorch + anchor scripts) carried.
    parts="${2:-check,peer,bdn}"
    out="${OUT:-/tmp/nk-out}"
    repo="$PWD"
    mkdir -p "$out" /tmp/nk
    tar -xJf .gpu/app.tar.xz -C /tmp/nk
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/device.txt" 2>&1 || true
    if [[ ",$parts," == *,check,* ]]; then
      nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 100 > "$out/gpu-mem.csv" 2>/dev/null &
      smi=$!
      (cd /tmp/nk/app && timeout "${NK_CHECK_S:-300}" ./NcutKernels.Benchmarks gpu-check --out "$out" ${NK_CHECK_ARGS:-} > "$out/gpu-check.log" 2>&1) \
        || echo "gpu-check exit $?" >> "$out/gpu-check.log"
      kill $smi 2>/dev/null || true
      tail -3 "$out/gpu-check.log"
    fi
    if [[ ",$parts," == *,peer,* && -d .peer/ncut_pytorch ]]; then
      PYTHONUNBUFFERED=1 NCUT_PYTORCH_PARENT="$repo/.peer" timeout "${NK_PEER_S:-120}" python3 .peer/anchor/anchor_bench.py \
        --budget-s $(( ${NK_PEER_S:-120} - 15 )) --sections "${NK_PEER_SECTIONS:-a,b}" --out "$out" > "$out/peer.log" 2>&1 \
        || echo "peer exit $?" >> "$out/peer.log"
      tail -12 "$out/peer.log"
    fi
    if [[ ",$parts," == *,trace,* ]]; then
      # The channel-tracing target: ours (gpu-check --only trace), then ncut_pytorch's tracing of the same features.
      (cd /tmp/nk/app && timeout "${NK_TRACE_S:-300}" ./NcutKernels.Benchmarks gpu-check --out "$out" --only trace > "$out/trace-check.log" 2>&1) \
        || echo "trace exit $?" >> "$out/trace-check.log"
      tail -8 "$out/trace-check.log"
      if [[ -d .peer/ncut_pytorch && -f "$out/trace-features.npy" ]]; then
        NCUT_PYTORCH_PARENT="$repo/.peer" timeout "${NK_PEER_S:-120}" python3 NcutKernels.Benchmarks/peer_trace.py "$out/trace-features.npy" 4 8 \
          > "$out/peer-trace.jsonl" 2> "$out/peer-trace.log" || echo "peer trace exit $?" >> "$out/peer-trace.log"
        cat "$out/peer-trace.jsonl"
      fi
    fi
    if [[ ",$parts," == *,bdn,* ]]; then
      # NK_BDN_FILTER: space-separated BenchmarkDotNet filters instead of the default three suites.
      read -r -a filters <<< "${NK_BDN_FILTER:-*BackwardBenchmarks* *NystromKernelBenchmarks* *NystromBenchmarks.Mixture768_K*_DeviceResident*}"
      (cd /tmp/nk/app && NCUT_BENCH_DEVICES=cuda timeout "${NK_BDN_S:-200}" ./NcutKernels.Benchmarks \
        --filter "${filters[@]}" --job short --inProcess --artifacts /tmp/nk/bdn > "$out/bdn.log" 2>&1) \
        || echo "bdn exit $?" >> "$out/bdn.log"
      cat /tmp/nk/bdn/results/*.md > "$out/bdn-results.md" 2>/dev/null || true
      tail -5 "$out/bdn.log"
    fi
    ;;
  *)
    echo "usage: $0 pack|run" >&2
    exit 2
    ;;
esac
