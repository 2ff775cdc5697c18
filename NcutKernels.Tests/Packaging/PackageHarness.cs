// PackageHarness: what the packaging tests share: running dotnet (or a program) with its exit code checked, the build configuration, an offline NuGet configuration, a package's nuspec.
using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;

namespace NcutKernels.Tests.Packaging;

/// <summary>Steps the packaging tests share, so that each packs, restores and runs the same way.</summary>
internal static class PackageHarness
{
    /// <summary>The configuration of the build the tests run against (Debug or Release): what <c>dotnet pack --no-build</c> packs.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";

    /// <summary>The repository's project file <c>NAME/NAME.csproj</c> (e.g. "NcutKernels.Cli").</summary>
    public static string Project(string name) => Path.Combine(RepositoryFolders.Root, name, name + ".csproj");

    /// <summary>Runs `dotnet ARGS` in <paramref name="directory"/> (3 minutes at most); returns its output, asserting exit code 0.</summary>
    public static string Dotnet(string? directory, params string[] args) => Run("dotnet", directory, null, args);

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="args"/> in <paramref name="directory"/> (default: the current folder),
    /// with <paramref name="environment"/> added to this process's variables, 3 minutes at most (then the process tree is killed);
    /// returns its standard output, asserting exit code 0.
    /// </summary>
    public static string Run(string program, string? directory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = directory ?? Environment.CurrentDirectory };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        var (code, output, errors) = ChildProcess.Run(start, TimeSpan.FromMinutes(3));
        Assert.That(code, Is.EqualTo(0), $"{program} {string.Join(' ', args)} failed:\n{output}\n{errors}");
        return output;
    }

    /// <summary>
    /// Writes <c>nuget.config</c> into <paramref name="folder"/>: packages come from <paramref name="feed"/> alone (no network),
    /// restore into <paramref name="packages"/> (a package of this run may share its version string with an earlier one) and
    /// take everything else from the machine's package cache, as a fallback folder. Returns the file's path.
    /// </summary>
    public static string WriteOfflineNuGetConfig(string folder, string feed, string packages)
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(folder, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{packages}" /></config>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
              <fallbackPackageFolders><clear /><add key="cache" value="{cache}" /></fallbackPackageFolders>
            </configuration>
            """);
        return path;
    }

    /// <summary>The one package <c>ID.VERSION.nupkg</c> in <paramref name="feed"/> (asserted alone there) and its version.</summary>
    public static (string Path, string Version) Package(string feed, string id)
    {
        var packages = Directory.GetFiles(feed, id + ".*.nupkg")
            .Where(p => char.IsDigit(Path.GetFileName(p)[(id.Length + 1)..][0])).ToArray();
        Assert.That(packages, Has.Length.EqualTo(1), string.Join(", ", Directory.GetFiles(feed)));
        return (packages[0], Path.GetFileNameWithoutExtension(packages[0])[(id.Length + 1)..]);
    }

    /// <summary>The <c>metadata</c> element of the package's nuspec, whichever nuspec schema version the package uses.</summary>
    public static XElement NuspecMetadata(ZipArchive package)
    {
        var entry = package.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        var root = XDocument.Load(stream).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    /// <summary>The text of the child element <paramref name="name"/> of nuspec <paramref name="metadata"/>; "" when there is none.</summary>
    public static string Value(this XElement metadata, string name) => metadata.Element(metadata.Name.Namespace + name)?.Value ?? "";
}
