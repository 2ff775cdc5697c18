// ReadmeProgramTests: the README's C# blocks, in order, are one program that compiles against the library and runs.
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;

namespace NcutKernels.Tests.Docs;

/// <summary>
/// Extracts every ```csharp block of README.md in order, joins them into one top-level program, compiles it with Roslyn as a
/// new console project would (implicit usings) against the framework and NcutKernels (no error, no warning), and runs it
/// (managed CPU on a machine without CUDA).
/// </summary>
[TestFixture]
public partial class ReadmeProgramTests
{
    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();

    /// <summary>The README's C# blocks in order, joined.</summary>
    internal static string Program()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryFolders.Find("NcutKernels"), "..", "README.md")).Replace("\r\n", "\n");
        var blocks = CsharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToArray();
        Assert.That(blocks, Has.Length.GreaterThanOrEqualTo(4), "the README's C# blocks");
        return string.Join("\n", blocks);
    }

    /// <summary>The global usings of a new console project (`dotnet new console`: ImplicitUsings enabled).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static Compilation Compile(string program)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(NcutKernels.Spectral.Ncut).Assembly.Location));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        return CSharpCompilation.Create("ReadmeProgram", [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(program, parse)],
            references, new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
    }

    [Test]
    public void CsharpBlocks_CompileAsOneProgram_AndRun()
    {
        var compilation = Compile(Program());
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var problems = emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToArray();
        Assert.That(problems, Is.Empty, string.Join(Environment.NewLine, problems));
        Assert.That(emitted.Success, Is.True);
        var entry = Assembly.Load(image.ToArray()).EntryPoint!;
        Assert.That(() => entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]), Throws.Nothing);
    }

    [Test]
    public void ABrokenBlock_IsReported()
    {
        // The check itself: a block using an undeclared name does not compile.
        var compilation = Compile(Program() + "\nConsole.WriteLine(undeclaredName);\n");
        Assert.That(compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error), Is.True);
    }
}
