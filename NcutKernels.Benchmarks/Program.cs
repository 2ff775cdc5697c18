// Program: BenchmarkDotNet entry (`--filter '*'`, add `--inProcess` where no SDK is installed) and the `gpu-check` harness.
using BenchmarkDotNet.Running;
using NcutKernels.Benchmarks;

if (args.Length > 0 && args[0] == "gpu-check")
    return GpuCheck.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(BenchData).Assembly).Run(args);
return 0;
