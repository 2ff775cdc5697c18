// LibraryPackageTests: `dotnet pack` of the library gives a package with its metadata, readme, licence and notices, versioned from git.
using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;

namespace NcutKernels.Tests.Packaging;

/// <summary>
/// Packs NcutKernels (the build the tests run against, <c>--no-build</c>) into a temporary folder and reads the package: the
/// nuspec's id, description, tags, MIT licence expression and readme, the README, LICENSE and THIRD-PARTY-NOTICES files, the
/// assembly with its XML docs, the ILGPU dependencies, a symbols package, and a version MinVer derived from git.
/// </summary>
[TestFixture]
public class LibraryPackageTests
{
    private static readonly XNamespace Nuspec = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

    private string _root = null!, _feed = null!;

    /// <summary>Packs the library once (the build the tests run against, <c>--no-build</c>) into a local feed both tests read.</summary>
    [OneTimeSetUp]
    public void Pack()
    {
        _root = TempFolder.Create("ncut-pack-");
        _feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        string project = Path.Combine(RepositoryFolders.Find("NcutKernels/Spectral"), "..", "NcutKernels.csproj");
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        Dotnet(null, "pack", project, "-c", configuration, "--no-build", "-o", _feed, "-nologo");
    }

    [OneTimeTearDown]
    public void Delete() => Directory.Delete(_root, recursive: true);

    /// <summary>Runs `dotnet ARGS` in <paramref name="directory"/> (3 minutes at most); returns its output, asserting exit code 0.</summary>
    private static string Dotnet(string? directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory ?? Environment.CurrentDirectory,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        Assert.That(process.ExitCode, Is.EqualTo(0), $"dotnet {string.Join(' ', args)} failed:\n{output.Result}\n{errors.Result}");
        return output.Result;
    }

    [Test]
    public void NewConsoleProject_WithThePackage_BuildsAndRunsTheReadmeProgram()
    {
        // As a user would: a new console project, the packed library added from a local feed, the README's program as its
        // Program.cs. The project restores into its own package folder (this run's package may share its version string
        // with an earlier one) and takes ILGPU from the machine's package cache as a fallback folder.
        string root = TempFolder.Create("ncut-newproject-");
        try
        {
            string feed = _feed;
            string version = Path.GetFileNameWithoutExtension(Directory.GetFiles(feed, "NcutKernels.*.nupkg").Single())["NcutKernels.".Length..];
            string app = Path.Combine(root, "app");
            Dotnet(null, "new", "console", "-o", app, "--framework", "net10.0", "--no-restore");
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" /></config>
                  <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
                  <fallbackPackageFolders><clear /><add key="cache" value="{cache}" /></fallbackPackageFolders>
                </configuration>
                """);
            Dotnet(app, "add", "package", "NcutKernels", "--version", version);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Docs.ReadmeProgramTests.Program());
            Dotnet(app, "build", "-c", "Release", "-nologo");
            string run = Dotnet(app, "run", "-c", "Release", "--no-build");
            Assert.That(run, Does.Contain("max residual"), "the program printed the eigen-solve's report");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public void Pack_GivesAPackageWithItsMetadataReadmeAndLicence()
    {
        string folder = _feed;
        var packages = Directory.GetFiles(folder, "NcutKernels.*.nupkg");
        Assert.That(packages, Has.Length.EqualTo(1), string.Join(", ", Directory.GetFiles(folder)));
        Assert.That(Directory.GetFiles(folder, "NcutKernels.*.snupkg"), Has.Length.EqualTo(1), "a symbols package beside it");

        using var zip = ZipFile.OpenRead(packages[0]);
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.That(names, Is.SupersetOf(new[] { "README.md", "LICENSE", "THIRD-PARTY-NOTICES.md", "lib/net10.0/NcutKernels.dll", "lib/net10.0/NcutKernels.xml" }));
        XDocument nuspec;
        using (var stream = zip.GetEntry("NcutKernels.nuspec")!.Open())
            nuspec = XDocument.Load(stream);
        var metadata = nuspec.Root!.Element(Nuspec + "metadata")!;
        string Value(string name) => metadata.Element(Nuspec + name)?.Value ?? "";
        Assert.That(Value("id"), Is.EqualTo("NcutKernels"));
        Assert.That(Value("description"), Does.Contain("Normalized Cut").And.Not.EqualTo("Package Description"));
        Assert.That(Value("tags"), Does.Contain("spectral-clustering"));
        Assert.That(metadata.Element(Nuspec + "license")?.Attribute("type")?.Value, Is.EqualTo("expression"));
        Assert.That(Value("license"), Is.EqualTo("MIT"));
        Assert.That(Value("readme"), Is.EqualTo("README.md"));
        Assert.That(Version.TryParse(Value("version").Split('-')[0], out _), Is.True, $"version '{Value("version")}'");
        Assert.That(Value("version"), Is.Not.EqualTo("1.0.0"), "the version comes from git (MinVer), not the SDK default");
        var dependencies = metadata.Descendants(Nuspec + "dependency").Select(d => d.Attribute("id")!.Value).ToArray();
        Assert.That(dependencies, Is.EquivalentTo(new[] { "ILGPU", "ILGPU.Algorithms" }), "MinVer is a build-time tool, not a dependency");
        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.That(readme.ReadToEnd(), Does.StartWith("# NcutKernels"));
    }
}
