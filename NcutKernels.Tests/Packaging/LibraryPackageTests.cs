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

    [Test]
    public void Pack_GivesAPackageWithItsMetadataReadmeAndLicence()
    {
        string project = Path.Combine(RepositoryFolders.Find("NcutKernels/Spectral"), "..", "NcutKernels.csproj");
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        string folder = TempFolder.Create("ncut-pack-");
        try
        {
            Check(project, configuration, folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Check(string project, string configuration, string folder)
    {
        var start = new ProcessStartInfo("dotnet", ["pack", project, "-c", configuration, "--no-build", "-o", folder, "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var pack = Process.Start(start)!)
        {
            var output = pack.StandardOutput.ReadToEndAsync();
            var errors = pack.StandardError.ReadToEndAsync();
            if (!pack.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                pack.Kill(entireProcessTree: true);
                Assert.Fail("dotnet pack did not finish in 3 minutes.");
            }
            Assert.That(pack.ExitCode, Is.EqualTo(0), $"dotnet pack failed:\n{output.Result}\n{errors.Result}");
        }
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
