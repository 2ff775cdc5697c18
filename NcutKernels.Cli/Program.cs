// Program: the `ncut` command line tool (demo, trace, embed, fit, transform, info).
using System.Globalization;
using NcutKernels.Cli;
using NcutKernels.IO;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return Commands.Run(args, Console.Out, Console.Error);

namespace NcutKernels.Cli
{
    /// <summary>Dispatches the sub-commands; every failure becomes one line on stderr and an exit code (see <see cref="ExitCode"/>).</summary>
    public static class Commands
    {
        /// <summary>The usage text: printed on stdout for --help, on stderr when no command is given.</summary>
        public const string Usage = """
            usage:
              ncut demo [--out DIR] [trace options]   (trace on the shipped photos in ReferenceData/images)
              ncut trace --image A.jpg [--image B.jpg ...] --out DIR [--clusters C] [--n-eig K] [--top T]
                         [--tiles N] [--layer layer2|layer3|layer4] [--kway axisalign|sphericalkmeans]
                         [--affinity cosine|rbf] [--sigma S | --quantile Q] [--model ResNet18.onnx]
                         [--device auto|cuda|cpu] [--seed N] [--strict]
                         [--display-size PX]   (pictures' longer side, 64..8192 pixels, default 1024)
                         (images up to 16384 pixels a side and 64 megapixels; DIR's parent folder must exist)
              ncut trace --features F.npy [--image A.jpg ...] --out DIR [trace options but --tiles, --layer, --model]
                         (F: B × H × W × C float32/float64 features; images: none, or one per item in batch order)
              ncut trace --onnx MODEL.onnx --onnx-output NAME --image A.jpg [--image B.jpg ...] --out DIR
                         [--input-size S] [--mean 0.485,0.456,0.406] [--std 0.229,0.224,0.225]
                         [--channel-order rgb|bgr] [--pixel-range 1|255] [--drop-tokens R]
                         [trace options but --tiles, --layer, --model]
                         (NAME: an N × C × h × w or N × T × C output; default input size: the model's, else 224;
                         tokens: the fewest leading tokens, up to 16, are dropped that leave a square grid)
              ncut embed --input X.npy --n-eig K --output U.npy [--eigenvalues L.npy] [--affinity rbf|cosine]
                         [--sigma S | --quantile Q] [--device auto|cuda|cpu] [--seed N]
                         [--path auto|exact|nystrom] [--propagation classic|renormalized|ncutpytorch]
                         [--sampling uniform|farthestpoint] [--distance-precision tf32x3|fp32|tf32]
                         [--classic-landmarks S] [--accuracy-check ROWS]
                         [--vjp dU.npy] [--eigenvalue-vjp dL.npy] [--grad-output dX.npy] [--strict]
                         (auto: exact up to 8192 points, Nyström landmarks + propagation above; gradients on both)
              ncut fit --input X.npy --n-eig K --fit FIT [embed's options but --output, --eigenvalues and the gradient ones]
                         (saves the fit: landmarks, eigenpairs and propagation, in a versioned file)
              ncut transform --fit FIT --input SHARD.npy --output U.npy [--device auto|cuda|cpu]
                         (embeds any rows of the fit's d columns; on the Nyström path the fit's own rows get
                         what embed gives them; float32 output, float64 kept on --device cpu)
              ncut info
            outputs are checked before any work and appear only when the command succeeds (written under temporary
            names, then renamed into place); no output may overwrite an input or another output.
            results the library knows to be unreliable (eigenvectors not determined at the precision used, an unreliable
            gradient, a failed --accuracy-check) print "ncut: warning: …" on stderr with the remedy; --strict makes them errors.
            exit codes: 0 done; 1 unexpected failure (the message names the exception type); 2 bad usage or input;
                        3 out of memory; 4 an unreliable result refused by --strict
            """;

        /// <summary>Runs one command; returns the process exit code. Whatever fails in the command becomes one stderr line, never an exception.</summary>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            ArgumentNullException.ThrowIfNull(args);
            ArgumentNullException.ThrowIfNull(stdout);
            ArgumentNullException.ThrowIfNull(stderr);
            if (args.Length == 0)
            {
                stderr.WriteLine(Usage);
                return ExitCode.BadInput;
            }
            if (args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return ExitCode.Success;
            }
            try
            {
                return args[0] switch
                {
                    "demo" => DemoCommand.Run(args[1..], stdout, stderr),
                    "trace" => TraceCommand.Run(args[1..], stdout, stderr),
                    "embed" => EmbedCommand.Run(args[1..], stdout, stderr),
                    "fit" => FitCommand.Run(args[1..], stdout, stderr),
                    "transform" => TransformCommand.Run(args[1..], stdout, stderr),
                    "info" => InfoCommand.Run(stdout),
                    _ => throw new UsageException($"unknown command '{args[0]}' (demo, trace, embed, fit, transform, info)"),
                };
            }
            catch (Exception e)
            {
                var (code, line) = ErrorReport.Describe(e, args[0]);
                stderr.WriteLine(line);
                return code;
            }
        }
    }
}
