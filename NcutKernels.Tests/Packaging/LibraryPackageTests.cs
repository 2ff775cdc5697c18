// LibraryPackageTests: `dotnet pack` of the library gives a package with its metadata, readme, licence and notices, versioned from git.
using System.IO.Compression;
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
    private string _root = null!, _feed = null!;

    /// <summary>Packs the library once (the build the tests run against, <c>--no-build</c>) into a local feed both tests read.</summary>
    [OneTimeSetUp]
    public void Pack()
    {
        _root = TempFolder.Create("ncut-pack-");
        _feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        PackageHarness.Dotnet(null, "pack", PackageHarness.Project("NcutKernels"), "-c", PackageHarness.Configuration, "--no-build", "-o", _feed, "-nologo");
    }

    [OneTimeTearDown]
    public void Delete() => Directory.Delete(_root, recursive: true);

    [Test]
    public void NewConsoleProject_WithThePackage_BuildsAndRunsTheReadmeProgram()
    {
        // As a user would: a new console project, the packed library added from a local feed, the README's program as its
        // Program.cs. The project restores into its own package folder (this run's package may share its version string
        // with an earlier one) and takes ILGPU from the machine's package cache as a fallback folder.
        string root = TempFolder.Create("ncut-newproject-");
        try
        {
            string version = PackageHarness.Package(_feed, "NcutKernels").Version;
            string app = Path.Combine(root, "app");
            PackageHarness.Dotnet(null, "new", "console", "-o", app, "--framework", "net10.0", "--no-restore");
            PackageHarness.WriteOfflineNuGetConfig(app, _feed, Path.Combine(root, "packages"));
            PackageHarness.Dotnet(app, "add", "package", "NcutKernels", "--version", version);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Docs.ReadmeProgramTests.Program());
            PackageHarness.Dotnet(app, "build", "-c", "Release", "-nologo");
            string run = PackageHarness.Dotnet(app, "run", "-c", "Release", "--no-build");
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
        var (package, _) = PackageHarness.Package(_feed, "NcutKernels");
        Assert.That(Directory.GetFiles(_feed, "NcutKernels.*.snupkg"), Has.Length.EqualTo(1), "a symbols package beside it");

        using var zip = ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.That(names, Is.SupersetOf(new[] { "README.md", "LICENSE", "THIRD-PARTY-NOTICES.md", "lib/net10.0/NcutKernels.dll", "lib/net10.0/NcutKernels.xml" }));
        var metadata = PackageHarness.NuspecMetadata(zip);
        Assert.That(metadata.Value("id"), Is.EqualTo("NcutKernels"));
        Assert.That(metadata.Value("description"), Does.Contain("Normalized Cut").And.Not.EqualTo("Package Description"));
        Assert.That(metadata.Value("tags"), Does.Contain("spectral-clustering"));
        Assert.That(metadata.Element(metadata.Name.Namespace + "license")?.Attribute("type")?.Value, Is.EqualTo("expression"));
        Assert.That(metadata.Value("license"), Is.EqualTo("MIT"));
        Assert.That(metadata.Value("readme"), Is.EqualTo("README.md"));
        Assert.That(Version.TryParse(metadata.Value("version").Split('-')[0], out _), Is.True, $"version '{metadata.Value("version")}'");
        Assert.That(metadata.Value("version"), Is.Not.EqualTo("1.0.0"), "the version comes from git (MinVer), not the SDK default");
        var dependencies = metadata.Descendants(metadata.Name.Namespace + "dependency").Select(d => d.Attribute("id")!.Value).ToArray();
        Assert.That(dependencies, Is.EquivalentTo(new[] { "ILGPU", "ILGPU.Algorithms" }), "MinVer is a build-time tool, not a dependency");
        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.That(readme.ReadToEnd(), Does.StartWith("# NcutKernels"));
    }
}
