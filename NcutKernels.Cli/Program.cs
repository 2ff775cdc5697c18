// Program: the `ncut` command line tool (demo, trace, embed, info).
using System.Globalization;
using NcutKernels.Cli;
using NcutKernels.IO;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return Commands.Run(args, Console.Out, Console.Error);

namespace NcutKernels.Cli
{
    /// <summary>Dispatches the sub-commands and turns bad input into a one-line message and exit code 2.</summary>
    public static class Commands
    {
        public const string Usage = """
            usage:
              ncut demo [--out DIR] [trace options]   (trace on the shipped photos in ReferenceData/images)
              ncut trace --image A.jpg [--image B.jpg ...] --out DIR [--clusters C] [--n-eig K] [--top T]
                         [--tiles N] [--layer layer2|layer3|layer4] [--kway axisalign|sphericalkmeans]
                         [--affinity cosine|rbf] [--sigma S | --quantile Q] [--model ResNet18.onnx]
                         [--device auto|cuda|cpu] [--seed N]
              ncut embed --input X.npy --n-eig K --output U.npy [--eigenvalues L.npy] [--affinity rbf|cosine]
                         [--sigma S | --quantile Q] [--device auto|cuda|cpu] [--seed N]
                         [--path auto|exact|nystrom] [--propagation classic|renormalized|ncutpytorch]
                         [--sampling uniform|farthestpoint] [--distance-precision tf32x3|fp32|tf32]
                         [--classic-landmarks S]
                         [--vjp dU.npy] [--eigenvalue-vjp dL.npy] [--grad-output dX.npy]
                         (auto: exact up to 8192 points, Nyström landmarks + propagation above; gradients on both)
              ncut info
            """;

        /// <summary>Runs one command; returns the process exit code.</summary>
        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }
            try
            {
                return args[0] switch
                {
                    "demo" => DemoCommand.Run(args[1..], stdout),
                    "trace" => TraceCommand.Run(args[1..], stdout),
                    "embed" => EmbedCommand.Run(args[1..], stdout),
                    "info" => InfoCommand.Run(stdout),
                    _ => throw new UsageException($"unknown command '{args[0]}' (demo, trace, embed, info)"),
                };
            }
            catch (Exception e) when (e is UsageException or ArgumentException or InvalidDataException or IOException
                                          or NotSupportedException or UnauthorizedAccessException or InsufficientMemoryException)
            {
                stderr.WriteLine($"ncut: error: {e.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
        }
    }
}
