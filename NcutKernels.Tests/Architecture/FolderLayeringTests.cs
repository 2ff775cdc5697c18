// FolderLayeringTests: every library source file uses only its own layer and the layers below it (docs/ARCHITECTURE.md, "Folder layering").
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace NcutKernels.Tests.Architecture;

/// <summary>
/// Reads the library's sources and checks that each folder reaches only the folders below it, by its <c>using</c>
/// directives and by qualified names (<c>Spectral.Ncut</c>, <c>NcutKernels.Ops.TapeOps</c>); documentation comments count too,
/// since a cref is a dependency of the reader.
/// </summary>
[TestFixture]
public partial class FolderLayeringTests
{
    /// <summary>Layer of each namespace under NcutKernels, lowest first; a namespace may use its own layer and lower ones.</summary>
    private static readonly Dictionary<string, int> Layer = new()
    {
        ["Kernels"] = 0,
        ["IO"] = 0,
        ["Core"] = 0,
        ["Backends"] = 1,
        ["Backends.Ilgpu"] = 1,
        ["Backends.Managed"] = 1,
        ["Runtime"] = 1,
        ["Solvers"] = 2,
        ["Autodiff"] = 3,
        ["Ops"] = 4,
        ["Spectral"] = 5,
    };

    /// <summary>Leaves that use nothing of the project.</summary>
    private static readonly HashSet<string> Leaves = ["Kernels", "IO", "Core"];

    [GeneratedRegex(@"^namespace NcutKernels\.([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"(?<![\w.])(?:NcutKernels\.)?(Kernels|IO|Core|Backends\.Ilgpu|Backends\.Managed|Backends|Runtime|Solvers|Autodiff|Ops|Spectral)(?=\.[A-Z]|;)")]
    private static partial Regex ProjectReference();

    private static IEnumerable<string> Sources()
    {
        string root = RepositoryFolders.Find("NcutKernels/Spectral");
        string library = Path.GetDirectoryName(root)!;
        return Directory.EnumerateFiles(library, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
    }

    /// <summary>The references of a source file in namespace NcutKernels.<paramref name="ns"/> to a layer it may not use.</summary>
    private static IEnumerable<string> Violations(string ns, string text)
    {
        foreach (Match m in ProjectReference().Matches(text))
        {
            string used = m.Groups[1].Value;
            bool sameLayer = used == ns || ns.StartsWith(used + ".", StringComparison.Ordinal) || used.StartsWith(ns + ".", StringComparison.Ordinal);
            if (sameLayer || (!Leaves.Contains(ns) && Layer[used] <= Layer[ns]))
                continue;
            yield return $"({ns}) uses {used}: \"{Line(text, m.Index)}\"";
        }
    }

    [Test]
    public void EveryFolderUsesOnlyLowerLayers()
    {
        var violations = new List<string>();
        int files = 0;
        foreach (string file in Sources())
        {
            string text = File.ReadAllText(file);
            var own = NamespaceLine().Match(text);
            Assert.That(own.Success, Is.True, $"{file} declares no NcutKernels namespace.");
            string ns = own.Groups[1].Value;
            Assert.That(Layer.ContainsKey(ns), Is.True, $"{file}: namespace NcutKernels.{ns} has no layer; add it to the table and to docs/ARCHITECTURE.md.");
            files++;
            violations.AddRange(Violations(ns, text).Select(v => $"{Path.GetFileName(file)} {v}"));
        }
        Assert.That(files, Is.GreaterThan(50), "The library's sources were not found.");
        Assert.That(violations, Is.Empty, string.Join(Environment.NewLine, violations));
    }

    [TestCase("Backends", "using NcutKernels.Spectral;", 1)]
    [TestCase("Solvers", "/// <see cref=\"Ops.TapeOps.Sum\"/>", 1)]
    [TestCase("Core", "var x = Backends.Managed.SimdMath.Sum(a);", 1)]
    [TestCase("Kernels", "using ILGPU.Runtime.Cuda; var io = System.IO.File.Exists(p);", 0)]
    [TestCase("Spectral", "using NcutKernels.Backends.Managed; using NcutKernels.Ops;", 0)]
    [TestCase("Backends.Ilgpu", "using NcutKernels.Backends; using NcutKernels.Runtime;", 0)]
    public void ViolationsAreFound(string ns, string text, int expected) =>
        Assert.That(Violations(ns, text).Count(), Is.EqualTo(expected));

    private static string Line(string text, int index)
    {
        int start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        int end = text.IndexOf('\n', index);
        return text[start..(end < 0 ? text.Length : end)].Trim();
    }
}
